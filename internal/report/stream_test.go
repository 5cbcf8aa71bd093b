package report

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// The streamed renderers are held to the renderers they replaced (legacy_test.go) on
// random reports whose text holds every character each format treats apart.

// streamTokens are pieces of text that YAML, XML and JSON each treat apart: indicators
// at the start, ": " and " #", quotes, escapes, every kind of line break and space, the
// byte order mark, characters outside the BMP, invalid UTF-8, words YAML reads as
// something other than a string, and long runs that make lines fold.
var streamTokens = []string{
	"", " ", "  ", "\t", "\n", "\n\n", "\r", "\r\n", "\u0085", "\u2028", "\u2029", "\uFEFF", "\u00a0",
	"a", "word", "privileged", "-", "- ", "--- ", "---", "...", "?", "? ", ":", ": ", "x:y", "#", " #", "a#b",
	",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`", "\\",
	"\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\u0080", "\u009f", "\u00ff",
	"\ufffe", "\uffff", "\ufffd", "\ud7ff", "\ue000", "ü", "☃", "🚀", "\U0010ffff",
	"\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80",
	"true", "False", "yes", "NO", "on", "off", "y", "n", "~", "null", "Null", ".inf", "-.Inf", ".nan", "<<",
	"0", "1", "-1", "+1", "012", "0x1f", "0o17", "0b101", "-0b101", "1_000", "1.5", "1e3", ".5", "1:30", "190:20:30.15",
	"2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10", "9223372036854775808",
	"<html>", "&amp;", "]]>", "<![CDATA[", "a  b", "end ",
	"a very long message that goes on and on past the eightieth column of the line so that yaml folds it",
}

func streamString(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(8) {
		b.WriteString(streamTokens[r.IntN(len(streamTokens))])
		if r.IntN(3) == 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// streamFinding is a random finding whose strings come from streamString (or, some of
// the time, from randomString of the JSON stream's test).
func streamFinding(r *rand.Rand) finding.Finding {
	f := randomFinding(r)
	s := func(old string) string {
		if r.IntN(4) == 0 {
			return old
		}
		return streamString(r)
	}
	f.RuleID, f.Title, f.Message, f.Path, f.Remediation = s(f.RuleID), s(f.Title), s(f.Message), s(f.Path), s(f.Remediation)
	if r.IntN(2) == 0 {
		f.RuleID = "pod/" + f.RuleID
	}
	f.Resource = finding.Resource{APIVersion: s(f.Resource.APIVersion), Kind: s(f.Resource.Kind), Namespace: f.Resource.Namespace, Name: s(f.Resource.Name)}
	if f.Resource.Namespace != "" {
		f.Resource.Namespace = []string{"shop", "a", "kube-system", streamString(r)}[r.IntN(4)]
	}
	fw := &f.Frameworks
	fw.PSS, fw.CIS, fw.NSA, fw.MITRE = s(fw.PSS), s(fw.CIS), s(fw.NSA), s(fw.MITRE)
	if src := f.Source; src != nil {
		src.File, src.Origin, src.LineUnknown = s(src.File), s(src.Origin), s(src.LineUnknown)
		if r.IntN(2) == 0 {
			src.File = []string{"<stdin>", "<cluster>", "/abs/dir/a b.yaml", "C:\\x\\y.yaml", "dir/%20#?.yaml", "x.yaml"}[r.IntN(6)]
		}
		if r.IntN(5) == 0 {
			src.Line = -r.IntN(3)
		}
	}
	if sup := f.Suppressed; sup != nil {
		sup.Kind, sup.Reason = []string{"config", "annotation", streamString(r)}[r.IntN(3)], s(sup.Reason)
	}
	return f
}

// streamReport is a random report; findings of a report share rules and resources now
// and then, as real ones do.
func streamReport(r *rand.Rand) *Report {
	rep := &Report{ToolVersion: streamString(r)}
	if r.IntN(3) > 0 {
		rep.Time = time.Unix(r.Int64N(4e9)-1e9, r.Int64N(1e9))
	}
	for range r.IntN(6) {
		f := streamFinding(r)
		if n := len(rep.Findings); n > 0 && r.IntN(3) == 0 {
			prev := rep.Findings[r.IntN(n)]
			f.RuleID, f.Resource = prev.RuleID, prev.Resource
		}
		rep.Findings = append(rep.Findings, f)
	}
	finding.Sort(rep.Findings)
	for range r.IntN(3) {
		rep.Errors = append(rep.Errors, streamString(r))
	}
	for range r.IntN(3) {
		rep.Warnings = append(rep.Warnings, streamString(r))
	}
	rep.Summary = finding.Summarize(r.IntN(50), rep.Findings, len(rep.Errors))
	return rep
}

// renderBothPolicyReports renders rep as the stream does and as sigs.k8s.io/yaml did.
func renderBothPolicyReports(t *testing.T, rep *Report) (got, want []byte) {
	t.Helper()
	var g, w bytes.Buffer
	if err := renderPolicyReport(&g, rep); err != nil {
		t.Fatal(err)
	}
	if err := renderPolicyReportLegacy(&w, rep); err != nil {
		t.Fatalf("the old renderer failed: %v", err)
	}
	return g.Bytes(), w.Bytes()
}

func TestPolicyReportStreamMatchesYAML(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 1000 {
		if got, want := renderBothPolicyReports(t, streamReport(r)); !bytes.Equal(got, want) {
			t.Fatalf("report %d differs from sigs.k8s.io/yaml:\n got %q\nwant %q", i, got, want)
		}
	}
}

// Each string alone, in a message: the scalar styles and folding one at a time.
func TestYAMLStringMatchesYAML(t *testing.T) {
	var cases []string
	for _, a := range streamTokens {
		cases = append(cases, a, "x"+a, a+"x", "x"+a+"x", a+a, strings.Repeat("abc ", 19)+a+" tail", strings.Repeat("w", 79)+a+" z")
		for _, b := range streamTokens {
			cases = append(cases, a+b)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 4000 {
		cases = append(cases, streamString(r))
	}
	check := func(errs []string) bool {
		rep := &Report{Errors: errs}
		var got, want bytes.Buffer
		if err := renderPolicyReport(&got, rep); err != nil {
			t.Fatal(err)
		}
		if err := renderPolicyReportLegacy(&want, rep); err != nil {
			t.Fatalf("%q: the old renderer failed: %v", errs, err)
		}
		if len(errs) == 1 && !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%q differs from sigs.k8s.io/yaml:\n got %s\nwant %s", errs[0], got.Bytes(), want.Bytes())
		}
		return bytes.Equal(got.Bytes(), want.Bytes())
	}
	// Many strings a report, each an input error's message; one at a time where they differ.
	for batch := range slices.Chunk(cases, 100) {
		if !check(batch) {
			for _, s := range batch {
				check([]string{s})
			}
			t.FailNow()
		}
	}
}

// withRules gives a report some rules that ran, as the engine does: the rules of some of
// its findings, with metadata of their own, and one that found nothing.
func withRules(r *rand.Rand, rep *Report) *Report {
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		if seen[f.RuleID] || r.IntN(3) == 0 {
			continue
		}
		seen[f.RuleID] = true
		rep.Rules = append(rep.Rules, &rule.Rule{Meta: rule.Meta{ID: f.RuleID, Title: streamString(r), Severity: finding.Severity(r.IntN(5)),
			Description: streamString(r), Remediation: streamString(r), Frameworks: streamFinding(r).Frameworks, Kinds: []string{streamString(r)}}})
	}
	if r.IntN(2) == 0 {
		rep.Rules = append(rep.Rules, &rule.Rule{Meta: rule.Meta{ID: "pod/quiet", Title: "Quiet rule", Severity: finding.Low}})
	}
	return rep
}

func TestSARIFStreamMatchesEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 1500 {
		rep := withRules(r, streamReport(r))
		if r.IntN(3) == 0 {
			rep.Findings = nil
		}
		var got, want bytes.Buffer
		if err := renderSARIF(&got, rep); err != nil {
			t.Fatal(err)
		}
		if err := renderSARIFLegacy(&want, rep); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("log %d differs from encoding/json:\n got %s\nwant %s", i, got.Bytes(), want.Bytes())
		}
	}
}

func TestJUnitStreamMatchesEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 1500 {
		rep := withRules(r, streamReport(r))
		if r.IntN(4) == 0 {
			rep.Rules = nil
		}
		var got, want bytes.Buffer
		if err := renderJUnit(&got, rep); err != nil {
			t.Fatal(err)
		}
		if err := renderJUnitLegacy(&want, rep); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("document %d differs from encoding/xml:\n got %s\nwant %s", i, got.Bytes(), want.Bytes())
		}
	}
}

// appendXMLAttr escapes as encoding/xml does, string by string.
func TestXMLAttrMatchesEscapeText(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for range 20000 {
		s := streamString(r)
		if r.IntN(2) == 0 {
			s = randomString(r)
		}
		checkXMLEscapes(t, s)
	}
}

// checkXMLEscapes holds appendXMLAttr to xml.EscapeText and appendXMLText to xmlText.
func checkXMLEscapes(t *testing.T, s string) {
	t.Helper()
	var want bytes.Buffer
	if err := xml.EscapeText(&want, []byte(s)); err != nil {
		t.Fatal(err)
	}
	if got := appendXMLAttr(nil, s); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("%q: got %q, want %q", s, got, want.Bytes())
	}
	if got, want := appendXMLText(nil, []byte(s)), xmlText(s); string(got) != want {
		t.Fatalf("%q: xml text %q, want %q", s, got, want)
	}
}

func TestTableStreamMatches(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for i := range 1500 {
		rep := streamReport(r)
		for k := range rep.Findings {
			if r.IntN(2) == 0 { // plain text too, for wrap's quick way
				f := &rep.Findings[k]
				f.Message = strings.Repeat("word ", r.IntN(40)) + strings.Repeat("x", r.IntN(200))
			}
		}
		if r.IntN(2) == 0 {
			rep.Skipped = []Skipped{{Path: streamString(r), Reason: streamString(r)}}
			rep.Summary.Skipped = 1
		}
		tbl := &Table{Color: r.IntN(2) == 0, Width: r.IntN(120), Verbose: r.IntN(2) == 0}
		var got, want bytes.Buffer
		if err := tbl.Render(&got, rep); err != nil {
			t.Fatal(err)
		}
		if err := tbl.renderLegacy(&want, rep); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("table %d differs:\n got %q\nwant %q", i, got.Bytes(), want.Bytes())
		}
	}
}

// wrap's quick way for plain text cuts as its general way does.
func TestWrapSimpleMatchesGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	words := []string{"a", "bb", "word", "spec.template.spec.containers[0]", strings.Repeat("y", 25), strings.Repeat("z", 61)}
	for range 20000 {
		var parts []string
		for range 1 + r.IntN(30) {
			parts = append(parts, words[r.IntN(len(words))])
		}
		text, width := strings.Join(parts, " "), r.IntN(100)
		if !simpleText(text) {
			t.Fatalf("%q is simple text", text)
		}
		got, want := wrapSimple(nil, text, max(width, 20)), wrapGeneral(nil, text, max(width, 20))
		if !slices.Equal(got, want) {
			t.Fatalf("wrap(%q, %d) = %q, want %q", text, width, got, want)
		}
	}
	for _, s := range []string{"", " a", "a ", "a  b", "a\tb", "é", "a\x1bb"} {
		if simpleText(s) {
			t.Errorf("%q is not simple text", s)
		}
	}
}

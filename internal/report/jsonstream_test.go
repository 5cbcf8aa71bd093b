package report

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/moat-dev/moat/internal/finding"
)

// encodeWithEncoder is how the JSON document was written before it was streamed:
// the reference the streaming writer must match byte for byte.
func encodeWithEncoder(t *testing.T, doc JSONDocument) []byte {
	t.Helper()
	if doc.Findings == nil {
		doc.Findings = []finding.Finding{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// awkward are strings that exercise every escape of encoding/json.
var awkward = []string{"", "plain", "quote \" and \\ backslash", "tab\tnew\nline\rcr", "\b\f\x00\x1f\x7f",
	"<html> & 'x'", "invalid \xff\xfe utf8", "line sep \u2028 para \u2029", "ünïcödé ☃ 🚀", "\x1b[31mred\x1b[0m"}

func randomString(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return awkward[r.IntN(len(awkward))]
	}
	b := make([]byte, r.IntN(12))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return string(b)
}

func randomFinding(r *rand.Rand) finding.Finding {
	s := func() string { return randomString(r) }
	maybe := func() string {
		if r.IntN(2) == 0 {
			return ""
		}
		return s()
	}
	f := finding.Finding{RuleID: s(), Severity: finding.Severity(r.IntN(5)), Title: s(), Message: s(),
		Resource: finding.Resource{APIVersion: s(), Kind: s(), Namespace: maybe(), Name: s()},
		Path:     maybe(), Remediation: s(),
		Frameworks: finding.Frameworks{PSS: maybe(), CIS: maybe(), NSA: maybe(), MITRE: maybe()}}
	if r.IntN(2) == 0 {
		f.Source = &finding.Source{File: s(), Line: r.IntN(3) * r.IntN(5000), Origin: maybe(), LineUnknown: maybe()}
	}
	if r.IntN(4) == 0 {
		f.Suppressed = &finding.Suppression{Kind: s(), Reason: s()}
	}
	return f
}

// TestJSONStreamKnowsEveryField fails when a field is added to a type the stream
// writes by hand, so that randomFinding and appendFinding learn it too.
func TestJSONStreamKnowsEveryField(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want int
	}{{finding.Finding{}, 10}, {finding.Resource{}, 4}, {finding.Source{}, 4}, {finding.Frameworks{}, 4}, {finding.Suppression{}, 2}} {
		if n := reflect.TypeOf(tc.v).NumField(); n != tc.want {
			t.Errorf("%T has %d fields, the JSON stream writes %d: teach appendFinding and randomFinding the new ones", tc.v, n, tc.want)
		}
	}
}

func TestJSONStreamMatchesEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		doc := JSONDocument{Version: JSONVersion}
		for range r.IntN(8) {
			f := randomFinding(r)
			if n := len(doc.Findings); n > 0 && r.IntN(2) == 0 {
				// Of an earlier finding's rule, with its title, frameworks and
				// remediation or with some of its own.
				p := doc.Findings[r.IntN(n)]
				f.RuleID = p.RuleID
				if r.IntN(3) > 0 {
					f.Title = p.Title
				}
				if r.IntN(3) > 0 {
					f.Frameworks = p.Frameworks
				}
				if r.IntN(3) > 0 {
					f.Remediation = p.Remediation
				}
			}
			doc.Findings = append(doc.Findings, f)
		}
		doc.Summary = finding.Summarize(r.IntN(100), doc.Findings, r.IntN(3))
		for range r.IntN(3) {
			doc.Errors = append(doc.Errors, randomString(r))
		}
		for range r.IntN(3) {
			doc.Warnings = append(doc.Warnings, randomString(r))
		}
		for range r.IntN(2) {
			doc.Skipped = append(doc.Skipped, Skipped{Path: randomString(r), Reason: randomString(r)})
		}
		var got bytes.Buffer
		if err := writeJSONDocument(&got, &doc, parallel{}); err != nil {
			t.Fatal(err)
		}
		if want := encodeWithEncoder(t, doc); !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("document %d differs from encoding/json:\n got %q\nwant %q", i, got.Bytes(), want)
		}
	}
}

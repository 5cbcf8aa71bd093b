package report

import (
	"bytes"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/escapecases"
	"github.com/moat-dev/moat/internal/finding"
)

func TestXMLEscapesWordByWord(t *testing.T) {
	for _, s := range escapecases.Words() {
		checkXMLEscapes(t, s)
	}
}

// yamlFloatSyntax is the regular expression it replaced, on text made of the characters
// that expression and its neighbours look at.
func TestYAMLFloatSyntaxMatchesRegexp(t *testing.T) {
	re := regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
	const alphabet = "0123456789.+-eE_x:"
	r := rand.New(rand.NewPCG(25, 26))
	cases := []string{"", "0", "1.", ".5", ".", "+", "-.5e-3", "1e", "1e+", "5.2.1", "1.5E10", "e5", "+-1"}
	for range 50000 {
		b := make([]byte, r.IntN(9))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := yamlFloatSyntax(s), re.MatchString(s); got != want {
			t.Fatalf("yamlFloatSyntax(%q) = %v, the expression says %v", s, got, want)
		}
	}
}

// sentence is printable ASCII text as messages are, long enough to fold, with what
// makes yaml.v2 quote it (": ", " #", quotes, indicators first, spaces at the ends)
// now and then, and runs of spaces.
func sentence(r *rand.Rand) string {
	words := []string{"container", `"app"`, "sets", "securityContext.privileged=true", "a", "it's", "key:", "x:y", "#1", "-", "?",
		"namespace", "policy", "{}", "[0]", "&anchor", "*ref", "!tag", "|", ">", "%", "@", "`", "---", "...", strings.Repeat("w", 30+r.IntN(60)),
		"true", "12", "5.2.1", "", " "}
	var b strings.Builder
	for i := range r.IntN(40) {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

// Long printable text at the depths the report writes it (messages, titles and paths
// of results, input errors) folds and quotes as yaml.v2 does.
func TestYAMLPrintableTextMatchesYAML(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	for i := range 400 {
		rep := &Report{}
		for range 1 + r.IntN(5) {
			f := streamFinding(r)
			f.Message, f.Title, f.Path = sentence(r), sentence(r), sentence(r)
			f.Resource.Namespace = ""
			rep.Findings = append(rep.Findings, f)
		}
		finding.Sort(rep.Findings)
		for range r.IntN(3) {
			rep.Errors = append(rep.Errors, sentence(r))
		}
		if got, want := renderBothPolicyReports(t, rep); !bytes.Equal(got, want) {
			t.Fatalf("report %d differs from sigs.k8s.io/yaml:\n got %s\nwant %s", i, got, want)
		}
	}
}

// Text that looks like a number (signs, digits, points, exponents, base prefixes,
// underscores, colons) is quoted exactly when yaml.v2 would read it back as one.
func TestYAMLNumberLikeTextMatchesYAML(t *testing.T) {
	const alphabet = "0123456789.+-eE_xob:"
	r := rand.New(rand.NewPCG(29, 30))
	for range 10 {
		var texts []string
		for range 500 {
			b := make([]byte, 1+r.IntN(10))
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
			texts = append(texts, string(b))
		}
		if got, want := renderBothPolicyReports(t, &Report{Errors: texts}); !bytes.Equal(got, want) {
			for _, s := range texts { // name the text
				if got, want := renderBothPolicyReports(t, &Report{Errors: []string{s}}); !bytes.Equal(got, want) {
					t.Fatalf("%q differs from sigs.k8s.io/yaml:\n got %s\nwant %s", s, got, want)
				}
			}
			t.Fatal("the reports differ")
		}
	}
}

// FuzzTextEncoders holds the hand-written encoders of input text to the encoders they
// replaced: JSON strings to encoding/json, XML attributes and text to encoding/xml, and
// a YAML string to sigs.k8s.io/yaml.
//
//	go test ./internal/report -run '^$' -fuzz FuzzTextEncoders -fuzztime 60s
func FuzzTextEncoders(f *testing.F) {
	for _, s := range []string{"", "plain text", `container "app": it's #1`, "tab\there", "\x00\x7f\xff", "é☃🚀\u2028", "- item", "5.2.1", "0x1F", strings.Repeat("word ", 30)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkXMLEscapes(t, s)
		if got, want := renderBothPolicyReports(t, &Report{Errors: []string{s}}); !bytes.Equal(got, want) {
			t.Fatalf("%q: YAML\n%s\nwant\n%s", s, got, want)
		}
	})
}

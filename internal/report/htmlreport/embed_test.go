package htmlreport

import (
	"bytes"
	"encoding/json"
	stdhtml "html"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/moat-dev/moat/internal/finding"
)

// hostile are texts a manifest can put in a finding: each tries to end the data element
// or to start markup.
var hostile = []struct{ name, text string }{
	{"script end and start", `</script><script>alert(1)</script>`},
	{"upper case script end", `</SCRIPT >alert(1)`},
	{"comment open then script", `<!--<script>`},
	{"style end", `</style><style>body{display:none}</style>`},
	{"cdata end and entity", `]]>&lt;&amp;`},
	{"line separators", "a\u2028b\u2029c"},
	{"bidi override and NUL", "\u202eevil\x00"},
}

// page renders one finding whose message, resource name, path and file all carry text.
func page(t testing.TB, text string) []byte {
	t.Helper()
	fs := []finding.Finding{{
		RuleID: "pod/x", Severity: finding.High, Title: "T " + text, Message: text,
		Resource:    finding.Resource{APIVersion: "v1", Kind: "Pod", Namespace: "ns", Name: text},
		Path:        "spec." + text,
		Source:      &finding.Source{File: "/nonexistent/" + text, Line: 3},
		Remediation: text,
	}}
	var b bytes.Buffer
	if err := Render(&b, Scan{Title: text, Findings: fs, Summary: finding.Summarize(1, fs, 0), Errors: []string{text}}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	dataElement = regexp.MustCompile(`(?s)<script type="application/json" id="moat-data">(.*?)</script>`)
	scriptOpen  = regexp.MustCompile(`(?i)<script[\s>]`)
	scriptClose = regexp.MustCompile(`(?i)</script`)
)

// checkPage asserts that the page has only the script elements it writes, that its data
// is whole JSON, and returns the data.
func checkPage(t testing.TB, html []byte) *document {
	t.Helper()
	opens, closes := len(scriptOpen.FindAll(html, -1)), len(scriptClose.FindAll(html, -1))
	if opens != 2 || closes != 2 {
		t.Fatalf("page has %d script starts and %d script ends; want 2 of each (data, report)", opens, closes)
	}
	m := dataElement.FindSubmatch(html)
	if m == nil {
		t.Fatal("no data element")
	}
	if bytes.Contains(m[1], []byte("<!--")) || bytes.ContainsAny(m[1], "<>&") {
		t.Fatalf("data holds markup characters: %.200s", m[1])
	}
	var doc document
	if err := json.Unmarshal(m[1], &doc); err != nil {
		t.Fatalf("data is not JSON: %v", err)
	}
	return &doc
}

func TestHostileTextStaysInsideTheData(t *testing.T) {
	for _, tc := range hostile {
		t.Run(tc.name, func(t *testing.T) {
			html := page(t, tc.text)
			doc := checkPage(t, html)
			if got := doc.Findings[0].Message; got != strings.ToValidUTF8(tc.text, "\uFFFD") {
				t.Errorf("message read back as %q, want %q", got, tc.text)
			}
			if got := doc.Resources[0].Name; got != tc.text {
				t.Errorf("resource name read back as %q, want %q", got, tc.text)
			}
			if title := "<title>" + stdhtml.EscapeString(tc.text) + "</title>"; !bytes.Contains(html, []byte(title)) {
				t.Errorf("page lacks the escaped title %s", title)
			}
		})
	}
}

func TestContentSecurityPolicyAllowsOnlyTheInlineAssets(t *testing.T) {
	for _, tc := range []struct {
		name    string
		graphs  []Graph
		scripts []string
	}{
		{"a scan", nil, []string{reportJS}},
		{"a scan with a graph", []Graph{{ID: "g", Title: "G"}}, []string{graphJS, reportJS}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, Scan{Graphs: tc.graphs}); err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindSubmatch(b.Bytes())
			if m == nil {
				t.Fatal("no CSP meta element")
			}
			csp := string(m[1])
			want := "default-src 'none'; script-src"
			for _, s := range tc.scripts {
				want += " " + hashSource(s)
			}
			want += "; style-src " + hashSource(reportCSS) + ";"
			if !strings.HasPrefix(csp, want) {
				t.Errorf("CSP = %q\nwant it to start %q", csp, want)
			}
			for _, s := range tc.scripts {
				if !bytes.Contains(b.Bytes(), []byte("<script>"+s+"</script>")) {
					t.Errorf("page lacks an inline script the CSP allows")
				}
			}
			// The graph library names the SVG namespace; the rest of the page names no URL.
			if tc.graphs == nil && regexp.MustCompile(`(?i)\b(https?|ftp|wss?)://`).Match(b.Bytes()) {
				t.Errorf("page names a remote URL")
			}
		})
	}
}

// TestAssetsAreTheBuiltSources guards against editing web/report without running make
// report-assets: the page's script and style are copies of the sources, and the graph
// asset ends with the graph tab's source.
func TestAssetsAreTheBuiltSources(t *testing.T) {
	for _, tc := range []struct {
		asset, source string
		whole         bool
	}{
		{reportJS, "report.js", true},
		{reportCSS, "report.css", true},
		{graphJS, "graph.js", false},
	} {
		src := readSource(t, "../../../web/report/src/"+tc.source)
		if tc.whole && tc.asset != src || !tc.whole && !strings.HasSuffix(tc.asset, src) {
			t.Errorf("assets/%s differs from web/report/src/%s: run make report-assets", tc.source, tc.source)
		}
		for _, bad := range []string{"</script", "</style", "<!--"} {
			if strings.Contains(strings.ToLower(tc.asset), bad) {
				t.Errorf("assets/%s contains %q, which would end its inline element", tc.source, bad)
			}
		}
	}
}

func FuzzEmbedJSON(f *testing.F) {
	for _, tc := range hostile {
		f.Add(tc.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		doc := checkPage(t, page(t, text))
		if utf8.ValidString(text) && doc.Findings[0].Message != text {
			t.Errorf("message read back as %q, want %q", doc.Findings[0].Message, text)
		}
	})
}

func readSource(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

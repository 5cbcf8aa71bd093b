package htmlreport

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"time"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// Scan is what a page shows. Every field may be empty: a document of attack paths has
// Graphs and no Findings, and the page then shows only what it has.
type Scan struct {
	// Title heads the page; empty means "Moat scan report".
	Title    string
	Summary  finding.Summary
	Findings []finding.Finding
	// Rules are the rules that ran: the compliance view counts the controls they check,
	// not only those that failed.
	Rules    []*rule.Rule
	Errors   []string
	Warnings []string
	// Partial says that whole kinds could not be read: the findings are incomplete.
	Partial     bool
	ToolVersion string
	// Time is when the scan ran; the zero value leaves it out (rendering reads no clock).
	Time time.Time
	// Graphs are shown each in a tab of its own.
	Graphs []Graph
	// Namespaces are those of the scanned objects: the compliance view lists each with
	// the Pod Security level it meets, those without findings too.
	Namespaces []string
}

// Graph is a data set of nodes and edges the page draws, zoomable, and also lists as a
// table (for the keyboard, screen readers and print).
type Graph struct {
	// ID is a short name, unique among the page's graphs, used for the tab's element IDs
	// ("paths", "network").
	ID    string `json:"id"`
	Title string `json:"title"`
	// Notes are said above the graph: the assumptions it rests on.
	Notes []string `json:"notes,omitempty"`
	Nodes []Node   `json:"nodes"`
	Edges []Edge   `json:"edges"`
}

// Node is one node of a Graph.
type Node struct {
	ID string `json:"id"`
	// Kind groups nodes for colour and shape: entry, workload, serviceaccount, secret,
	// node, power, or anything else (drawn plain).
	Kind      string `json:"kind"`
	Label     string `json:"label"`
	Namespace string `json:"namespace,omitempty"`
	// Detail is shown when the node is selected.
	Detail string `json:"detail,omitempty"`
}

// Edge is one edge of a Graph, from node ID to node ID.
type Edge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Kind  string `json:"kind"`
	Label string `json:"label,omitempty"`
	// Evidence are the reasons the edge exists, one line each ("rule: message at file:line").
	Evidence []string `json:"evidence,omitempty"`
}

// Renderer renders pages. The zero value is ready to use.
type Renderer struct {
	// Snippets bounds the source text a page carries; zero fields take their defaults.
	Snippets SnippetLimits
}

// Render writes s as a page with the default limits.
func Render(w io.Writer, s Scan) error { return Renderer{}.Render(w, s) }

// Render writes s as one self-contained HTML page.
func (r Renderer) Render(w io.Writer, s Scan) error {
	doc := buildDocument(s, r.Snippets.withDefaults())
	data, err := embedJSON(doc)
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	writePage(bw, doc.Title, data, len(s.Graphs) > 0)
	return bw.Flush()
}

// writePage writes the page around the data. The graph library is only embedded when
// the page has a graph to draw: it is most of the assets' size.
func writePage(w *bufio.Writer, title string, data []byte, graphs bool) {
	scripts := []string{reportJS}
	if graphs {
		scripts = append([]string{graphJS}, scripts...)
	}
	csp := "default-src 'none'; script-src"
	for _, s := range scripts {
		csp += " " + hashSource(s)
	}
	csp += "; style-src " + hashSource(reportCSS) + "; img-src data:; base-uri 'none'; form-action 'none'"

	w.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	w.WriteString(`<meta http-equiv="Content-Security-Policy" content="` + csp + "\">\n")
	w.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	w.WriteString("<meta name=\"color-scheme\" content=\"light dark\">\n")
	w.WriteString("<title>" + html.EscapeString(title) + "</title>\n")
	w.WriteString("<style>" + reportCSS + "</style>\n</head>\n<body>\n")
	w.WriteString("<noscript><p>This report is drawn by its script: open it in a browser with JavaScript on.</p></noscript>\n")
	w.WriteString("<div id=\"app\"></div>\n")
	w.WriteString("<script type=\"application/json\" id=\"moat-data\">")
	w.Write(data)
	w.WriteString("</script>\n")
	for _, s := range scripts {
		w.WriteString("<script>" + s + "</script>\n")
	}
	w.WriteString("</body>\n</html>\n")
}

// hashSource is the CSP source expression that allows an inline element whose text is s.
func hashSource(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

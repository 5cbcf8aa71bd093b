package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/paths"
	"github.com/moat-dev/moat/internal/report/htmlreport"
)

// AttackPaths are the formats of `moat paths`: attack paths ranked, each step with its
// evidence, the choke points that cut them and the assumptions.
var AttackPaths = newFormats(
	format("table", func(o Options) Renderer[*paths.Result] {
		return RendererFunc[*paths.Result](func(w io.Writer, r *paths.Result) error { return renderAttackTable(w, r, o) })
	}),
	plain("json", renderAttackJSON),
	plain("dot", renderAttackDot),
	plain("html", renderAttackHTML),
)

// renderAttackHTML draws the listed paths' graph in the HTML report's graph tab, with
// the choke points and assumptions as its notes.
func renderAttackHTML(w io.Writer, r *paths.Result) error {
	return htmlreport.Render(w, htmlreport.Scan{Title: "Moat attack paths", Graphs: []htmlreport.Graph{AttackPathsGraph(r)}})
}

// AttackPathsGraph is the graph of the listed paths for the HTML report: their nodes and
// edges with evidence, the choke points and assumptions as notes.
func AttackPathsGraph(r *paths.Result) htmlreport.Graph {
	g := htmlreport.Graph{ID: "paths", Title: "Attack paths"}
	for _, a := range r.Assumptions {
		note := "Assumed: " + a.Text
		if a.Flag != "" {
			note += " (tighten with " + a.Flag + ")"
		}
		g.Notes = append(g.Notes, note)
	}
	for i, c := range r.ChokePoints {
		g.Notes = append(g.Notes, fmt.Sprintf("Choke point %d: %s — cuts %s. Fix: %s", i+1, c.Fix.ID, plural(c.Total, "path"), c.Fix.Remediation))
	}
	seen := map[string]bool{}
	addNode := func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		n := r.Nodes[id]
		if n == nil {
			g.Nodes = append(g.Nodes, htmlreport.Node{ID: id, Label: id})
			return
		}
		detail := string(n.Kind)
		if n.Target {
			detail += ", a target"
		}
		g.Nodes = append(g.Nodes, htmlreport.Node{ID: id, Kind: string(n.Kind), Label: n.Label(), Namespace: n.Namespace, Detail: detail})
	}
	edgeSeen := map[[3]string]bool{}
	for i, p := range r.Paths {
		addNode(p.Entry)
		for _, e := range p.Edges {
			addNode(e.From)
			addNode(e.To)
			k := [3]string{e.From, e.To, string(e.Kind)}
			if edgeSeen[k] {
				continue
			}
			edgeSeen[k] = true
			he := htmlreport.Edge{From: e.From, To: e.To, Kind: string(e.Kind), Label: fmt.Sprintf("%s (path %d)", e.Kind, i+1)}
			for _, ev := range e.Evidence {
				he.Evidence = append(he.Evidence, evidenceText(ev)+sourceText(ev.Source))
			}
			g.Edges = append(g.Edges, he)
		}
	}
	if len(r.Paths) == 0 {
		g.Notes = append(g.Notes, "No attack path: no entry point reaches a secret, a node or an RBAC power.")
	}
	return g
}

// AttackPathsJSONVersion is the version of `moat paths -o json`.
const AttackPathsJSONVersion = 1

type pathsJSON struct {
	Version     int                `json:"version"`
	Summary     pathsSummary       `json:"summary"`
	Paths       []pathJSON         `json:"paths"`
	ChokePoints []chokeJSON        `json:"chokePoints"`
	Assumptions []paths.Assumption `json:"assumptions"`
}

type pathsSummary struct {
	Paths  int `json:"paths"`
	Listed int `json:"listed"`
}

type pathJSON struct {
	Rank   int         `json:"rank"`
	Score  int         `json:"score"`
	Entry  *paths.Node `json:"entry"`
	Target *paths.Node `json:"target"`
	Steps  []stepJSON  `json:"steps"`
}

type stepJSON struct {
	From     *paths.Node      `json:"from"`
	To       *paths.Node      `json:"to"`
	Kind     paths.EdgeKind   `json:"kind"`
	Evidence []paths.Evidence `json:"evidence"`
	Fixes    []string         `json:"fixes,omitempty"`
}

type chokeJSON struct {
	Fix *paths.Fix `json:"fix"`
	// Cuts are the ranks of the listed paths it cuts; Total counts every path it cuts.
	Cuts  []int `json:"cuts"`
	Total int   `json:"total"`
}

func renderAttackJSON(w io.Writer, r *paths.Result) error {
	doc := pathsJSON{Version: AttackPathsJSONVersion, Summary: pathsSummary{Paths: r.Total, Listed: len(r.Paths)},
		Paths: []pathJSON{}, ChokePoints: []chokeJSON{}, Assumptions: r.Assumptions}
	if doc.Assumptions == nil {
		doc.Assumptions = []paths.Assumption{}
	}
	for i, p := range r.Paths {
		pj := pathJSON{Rank: i + 1, Score: p.Score, Entry: r.Nodes[p.Entry], Target: r.Nodes[p.Target]}
		for _, e := range p.Edges {
			s := stepJSON{From: r.Nodes[e.From], To: r.Nodes[e.To], Kind: e.Kind, Evidence: e.Evidence}
			for _, f := range e.Fixes {
				s.Fixes = append(s.Fixes, f.ID)
			}
			pj.Steps = append(pj.Steps, s)
		}
		doc.Paths = append(doc.Paths, pj)
	}
	for _, c := range r.ChokePoints {
		cj := chokeJSON{Fix: c.Fix, Total: c.Total, Cuts: []int{}}
		for _, i := range c.Cuts {
			cj.Cuts = append(cj.Cuts, i+1)
		}
		doc.ChokePoints = append(doc.ChokePoints, cj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func renderAttackTable(w io.Writer, r *paths.Result, _ Options) error {
	bw := bufio.NewWriter(w)
	label := func(id string) string {
		if n := r.Nodes[id]; n != nil {
			return Escape(n.Label())
		}
		return Escape(id)
	}
	if len(r.Paths) == 0 {
		fmt.Fprintln(bw, "No attack path: no entry point reaches a secret, a node or an RBAC power.")
	}
	for i, p := range r.Paths {
		fmt.Fprintf(bw, "PATH %d  %s → %s  (%d steps, score %d)\n", i+1, label(p.Entry), label(p.Target), len(p.Edges), p.Score)
		for j, e := range p.Edges {
			fmt.Fprintf(bw, "  %d. %s → %s  [%s]\n", j+1, label(e.From), label(e.To), e.Kind)
			for _, ev := range e.Evidence {
				fmt.Fprintf(bw, "       %s%s\n", Escape(evidenceText(ev)), Escape(sourceText(ev.Source)))
			}
		}
		fmt.Fprintln(bw)
	}
	if r.Total > len(r.Paths) {
		fmt.Fprintf(bw, "%d more paths not listed (--max-paths).\n\n", r.Total-len(r.Paths))
	}
	if len(r.ChokePoints) > 0 {
		fmt.Fprintln(bw, "CHOKE POINTS (the fewest fixes that cut the most paths)")
		for i, c := range r.ChokePoints {
			what := c.Fix.ID
			if c.Fix.Resource != nil && c.Fix.RuleID != "" {
				what = c.Fix.RuleID + " on " + c.Fix.Resource.String()
			}
			fmt.Fprintf(bw, "  %d. %s — cuts %s%s\n", i+1, Escape(what), plural(c.Total, "path"), rankList(c.Cuts))
			fmt.Fprintf(bw, "     fix: %s\n", Escape(c.Fix.Remediation))
		}
		fmt.Fprintln(bw)
	}
	if len(r.Assumptions) > 0 {
		fmt.Fprintln(bw, "ASSUMPTIONS")
		for _, a := range r.Assumptions {
			s := "  - " + a.Text
			if a.Flag != "" {
				s += " (tighten with " + a.Flag + ")"
			}
			fmt.Fprintln(bw, s)
		}
		fmt.Fprintln(bw)
	}
	fmt.Fprint(bw, plural(r.Total, "attack path"))
	if len(r.ChokePoints) > 0 {
		fmt.Fprintf(bw, "; %s cut %s", plural(len(r.ChokePoints), "choke point"), cutSummary(r))
	}
	fmt.Fprintln(bw)
	return bw.Flush()
}

func evidenceText(ev paths.Evidence) string {
	if ev.RuleID != "" {
		return ev.RuleID + ": " + ev.Message
	}
	return ev.Message
}

func sourceText(s *finding.Source) string {
	if s == nil || s.File == "" {
		return ""
	}
	if s.Line > 0 {
		return " (" + s.File + ":" + strconv.Itoa(s.Line) + ")"
	}
	return " (" + s.File + ")"
}

func rankList(cuts []int) string {
	if len(cuts) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(" (")
	for i, c := range cuts {
		if i == 8 {
			fmt.Fprintf(&b, ", … %d more", len(cuts)-8)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(c + 1))
	}
	b.WriteString(")")
	return b.String()
}

func cutSummary(r *paths.Result) string {
	n := 0
	for _, c := range r.ChokePoints {
		n += c.Total
	}
	return fmt.Sprintf("%d of them", n)
}

// renderAttackDot draws the listed paths' nodes and edges, coloured by layer.
func renderAttackDot(w io.Writer, r *paths.Result) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "digraph paths {\n  rankdir=LR;\n  node [shape=box, fontname=\"sans-serif\"];")
	nodes := map[string]bool{}
	type key struct{ from, to string }
	edges := map[key]paths.EdgeKind{}
	for _, p := range r.Paths {
		nodes[p.Entry] = true
		for _, e := range p.Edges {
			nodes[e.From], nodes[e.To] = true, true
			edges[key{e.From, e.To}] = e.Kind
		}
	}
	ids := make([]string, 0, len(nodes))
	for id := range nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		n := r.Nodes[id]
		attrs := ""
		if n != nil && n.Target {
			attrs = ", style=filled, fillcolor=\"#f8d7da\""
		}
		if n != nil && n.Kind == paths.KindEntry {
			attrs = ", shape=ellipse, style=filled, fillcolor=\"#fff3cd\""
		}
		lbl := id
		if n != nil {
			lbl = n.Label()
		}
		fmt.Fprintf(bw, "  %s [label=%s%s];\n", strconv.Quote(id), strconv.Quote(lbl), attrs)
	}
	keys := make([]key, 0, len(edges))
	for k := range edges {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.from, b.from); c != 0 {
			return c
		}
		return strings.Compare(a.to, b.to)
	})
	for _, k := range keys {
		fmt.Fprintf(bw, "  %s -> %s [label=%s, color=%s];\n", strconv.Quote(k.from), strconv.Quote(k.to), strconv.Quote(string(edges[k])), strconv.Quote(edgeColor(edges[k])))
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

func edgeColor(k paths.EdgeKind) string {
	switch k {
	case paths.EdgeEntry:
		return "#b58900"
	case paths.EdgeNetwork:
		return "#268bd2"
	case paths.EdgeEscape:
		return "#dc322f"
	case paths.EdgeRBAC:
		return "#6c71c4"
	case paths.EdgeSecret:
		return "#859900"
	}
	return "#586e75"
}

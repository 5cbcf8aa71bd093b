package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/moat-dev/moat/internal/rbac/authz"
	"github.com/moat-dev/moat/internal/rbac/paths"
)

// WhoCan are the formats of `moat rbac who-can`: the subjects a request is allowed for.
var WhoCan = newFormats(
	plain("table", renderWhoCanTable),
	plain("json", renderWhoCanJSON),
)

// WhoCanEverywhere are the formats of `moat rbac who-can -A`: the answer cluster-wide,
// then in each namespace. JSON is {"answers": [{"subjects": [...]}, {"namespace": "shop",
// "subjects": [...]}, ...]}, the cluster-wide answer first and without a namespace; each
// subjects list is what `who-can` without -A prints for that namespace.
var WhoCanEverywhere = newFormats(
	plain("table", renderWhoCanEverywhereTable),
	plain("json", renderWhoCanEverywhereJSON),
)

// Can are the formats of `moat rbac can`: the rules that apply to one subject.
var Can = newFormats(
	plain("table", renderCanTable),
	plain("json", renderCanJSON),
)

// Paths are the formats of `moat rbac paths`: escalation chains; dot draws their union
// for Graphviz.
var Paths = newFormats(
	plain("table", renderPathsTable),
	plain("json", renderPathsJSON),
	plain("dot", renderPathsDot),
)

// newTabWriter is the column layout of every tabular listing.
func newTabWriter(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// writeRow writes one tab-separated row, escaping every cell.
func writeRow(w io.Writer, cells ...string) error {
	var b strings.Builder
	for i, c := range cells {
		if i > 0 {
			b.WriteByte('\t')
		}
		b.WriteString(Escape(c))
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// encodeIndented writes v as indented JSON, as the listing commands always have.
func encodeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func renderWhoCanJSON(w io.Writer, subjects []authz.Subject) error {
	return encodeIndented(w, map[string]any{"subjects": subjects})
}

func renderWhoCanTable(w io.Writer, subjects []authz.Subject) error {
	tw := newTabWriter(w)
	writeRow(tw, "KIND", "NAMESPACE", "NAME", "BINDING", "ROLE")
	for _, s := range subjects {
		for i, v := range s.Via {
			if i == 0 {
				writeRow(tw, s.Kind, orDash(s.Namespace), s.Name, v.Binding, v.Role)
			} else {
				writeRow(tw, "", "", "", v.Binding, v.Role)
			}
		}
	}
	return tw.Flush()
}

func renderWhoCanEverywhereJSON(w io.Writer, answers []authz.NamespaceAnswer) error {
	if answers == nil {
		answers = []authz.NamespaceAnswer{}
	}
	return encodeIndented(w, map[string]any{"answers": answers})
}

// renderWhoCanEverywhereTable writes one who-can table per namespace, each under a
// line naming it ("cluster-wide:", "namespace shop:"), with a blank line between them.
func renderWhoCanEverywhereTable(w io.Writer, answers []authz.NamespaceAnswer) error {
	for i, a := range answers {
		head := "cluster-wide:"
		if a.Namespace != "" {
			head = "namespace " + Escape(a.Namespace) + ":"
		}
		if i > 0 {
			head = "\n" + head
		}
		if _, err := fmt.Fprintln(w, head); err != nil {
			return err
		}
		if err := renderWhoCanTable(w, a.Subjects); err != nil {
			return err
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// canRule is one rule of `moat rbac can -o json`.
type canRule struct {
	Verbs           []string  `json:"verbs"`
	APIGroups       []string  `json:"apiGroups,omitempty"`
	Resources       []string  `json:"resources,omitempty"`
	ResourceNames   []string  `json:"resourceNames,omitempty"`
	NonResourceURLs []string  `json:"nonResourceURLs,omitempty"`
	Via             authz.Via `json:"via"`
}

func canRules(rules []authz.GrantedRule) []canRule {
	out := make([]canRule, len(rules))
	for i, r := range rules {
		g := authz.Grant{Binding: r.Binding, Privileged: r.Binding == nil}
		out[i] = canRule{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs, g.Via()}
	}
	return out
}

func renderCanJSON(w io.Writer, rules []authz.GrantedRule) error {
	return encodeIndented(w, map[string]any{"rules": canRules(rules)})
}

func renderCanTable(w io.Writer, rules []authz.GrantedRule) error {
	tw := newTabWriter(w)
	writeRow(tw, "RESOURCES", "NON-RESOURCE URLS", "RESOURCE NAMES", "VERBS", "BINDING", "ROLE")
	for _, r := range canRules(rules) {
		var res []string
		for _, x := range r.Resources {
			for _, g := range r.APIGroups {
				if g == "" {
					res = append(res, x)
				} else {
					res = append(res, x+"."+g)
				}
			}
		}
		writeRow(tw, list(res), list(r.NonResourceURLs), list(r.ResourceNames), list(r.Verbs), r.Via.Binding, r.Via.Role)
	}
	return tw.Flush()
}

// list writes a list as "[a b c]", "[]" when empty.
func list(xs []string) string {
	if len(xs) == 0 {
		return "[]"
	}
	return "[" + strings.Join(xs, " ") + "]"
}

func renderPathsJSON(w io.Writer, ps []paths.Path) error {
	if ps == nil {
		ps = []paths.Path{}
	}
	return encodeIndented(w, map[string]any{"paths": ps})
}

func renderPathsTable(w io.Writer, ps []paths.Path) error {
	if len(ps) == 0 {
		_, err := fmt.Fprintln(w, "no escalation paths to cluster-admin or to reading every Secret")
		return err
	}
	tw := newTabWriter(w)
	writeRow(tw, "SUBJECT", "GOAL", "STEPS", "PATH")
	for _, p := range ps {
		writeRow(tw, p.Subject.String(), p.Goal, strconv.Itoa(len(p.Steps)), p.Describe())
	}
	return tw.Flush()
}

// renderPathsDot draws the union of the paths as a Graphviz digraph: subjects as boxes,
// states as ellipses, goals as red octagons, each edge labelled with its step. Labels are
// quoted by strconv.Quote, which escapes every character Escape does.
func renderPathsDot(w io.Writer, ps []paths.Path) error {
	nodes, steps := paths.Graph(ps)
	id := map[paths.Node]string{}
	if _, err := fmt.Fprintln(w, "digraph escalation {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];"); err != nil {
		return err
	}
	for i, n := range nodes {
		id[n] = "n" + strconv.Itoa(i)
		shape := "box"
		extra := ""
		// The node kinds of paths.Node that are not RBAC subjects.
		switch n.Kind {
		case "Goal":
			shape, extra = "octagon", ", color=red, fontcolor=red"
		case "AnyServiceAccount", "AnyUser":
			shape = "ellipse"
		}
		fmt.Fprintf(w, "  %s [label=%s, shape=%s%s];\n", id[n], strconv.Quote(n.String()), shape, extra)
	}
	for _, s := range steps {
		label := s.How
		if s.Primitive != "" {
			label += "\\n" + s.Primitive
		}
		fmt.Fprintf(w, "  %s -> %s [label=%s];\n", id[s.From], id[s.To], quoteDot(label))
	}
	_, err := fmt.Fprintln(w, "}")
	return err
}

// quoteDot quotes a label, keeping "\n" as Graphviz's line break.
func quoteDot(s string) string {
	q := strconv.Quote(s)
	// strconv.Quote turned the backslash of "\n" into "\\n"; Graphviz wants "\n".
	out := make([]byte, 0, len(q))
	for i := 0; i < len(q); i++ {
		if q[i] == '\\' && i+2 < len(q) && q[i+1] == '\\' && q[i+2] == 'n' {
			out = append(out, '\\', 'n')
			i += 2
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}

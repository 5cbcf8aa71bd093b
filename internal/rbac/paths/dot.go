package paths

import (
	"fmt"
	"io"
	"strconv"
)

// WriteDot draws the union of the paths as a Graphviz digraph: subjects as boxes,
// states as ellipses, goals as red octagons, each edge labelled with its step.
func WriteDot(w io.Writer, ps []Path) error {
	nodes, steps := Graph(ps)
	id := map[Node]string{}
	if _, err := fmt.Fprintln(w, "digraph escalation {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];"); err != nil {
		return err
	}
	for i, n := range nodes {
		id[n] = "n" + strconv.Itoa(i)
		shape := "box"
		extra := ""
		switch n.Kind {
		case kindGoal:
			shape, extra = "octagon", ", color=red, fontcolor=red"
		case kindAnySA, kindAnyUser:
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

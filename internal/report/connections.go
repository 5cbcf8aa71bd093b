package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"

	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/report/htmlreport"
)

// Connections are the formats of `moat netpol conns`: every pair of endpoints that may
// connect, with the ports. An endpoint that stands for pods read from the input says
// how many (connName); JSON gives its group, pod count and pod as fields of the
// endpoint (reach.Endpoint). The sequence may be walked twice (the table measures its
// columns first, dot gathers its nodes first); slices.Values of a slice will do. Every
// format streams: none holds more than one connection's text at a time.
var Connections = newFormats(
	plain("table", renderConnsTable),
	plain("json", renderConnsJSON),
	plain("csv", renderConnsCSV),
	plain("dot", renderConnsDot),
)

// connPorts is the JSON of a connection's ports: "all" or the list of ports.
type connPorts reach.PortSet

func (p connPorts) MarshalJSON() ([]byte, error) {
	ps := reach.PortSet(p)
	if ps.IsAll() {
		return json.Marshal("all")
	}
	return json.Marshal(ps.Strings())
}

type connJSON struct {
	Src   reach.Endpoint `json:"src"`
	Dst   reach.Endpoint `json:"dst"`
	Ports connPorts      `json:"ports"`
}

// connName names an endpoint in the table, csv and dot: with the number of pods it
// stands for, "shop/Deployment/reviews-v1 (3 pods)", except for a pod itself.
func connName(e reach.Endpoint) string {
	s := e.String()
	switch {
	case e.Pods == 0 || e.Kind == "Pod":
	case e.Pods == 1:
		s += " (1 pod)"
	default:
		s += " (" + strconv.Itoa(e.Pods) + " pods)"
	}
	return s
}

func renderConnsTable(w io.Writer, conns iter.Seq[reach.Connection]) error {
	// Columns padded by hand, widths from a first pass: tabwriter holds every cell.
	ws, wd := len("SRC"), len("DST")
	for c := range conns {
		ws, wd = max(ws, len(Escape(connName(c.Src)))), max(wd, len(Escape(connName(c.Dst))))
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	fmt.Fprintf(bw, "%-*s  %-*s  %s\n", ws, "SRC", wd, "DST", "PORTS")
	for c := range conns {
		fmt.Fprintf(bw, "%-*s  %-*s  %s\n", ws, Escape(connName(c.Src)), wd, Escape(connName(c.Dst)), Escape(c.Ports.String()))
	}
	return bw.Flush()
}

// renderConnsJSON writes {"connections": [...]} one connection at a time.
func renderConnsJSON(w io.Writer, conns iter.Seq[reach.Connection]) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("{\n  \"connections\": [")
	first := true
	for c := range conns {
		data, err := json.Marshal(connJSON{c.Src, c.Dst, connPorts(c.Ports)})
		if err != nil {
			return err
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteString("\n    ")
		bw.Write(data)
	}
	if !first {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}

// renderConnsCSV writes src, dst, ports; a spreadsheet shows what a terminal would, so
// names are escaped here too.
func renderConnsCSV(w io.Writer, conns iter.Seq[reach.Connection]) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"src", "dst", "ports"})
	for c := range conns {
		ports := "all"
		if !c.Ports.IsAll() {
			ports = strings.Join(c.Ports.Strings(), " ")
		}
		_ = cw.Write([]string{Escape(connName(c.Src)), Escape(connName(c.Dst)), Escape(ports)})
	}
	cw.Flush()
	return cw.Error()
}

// renderConnsDot draws one cluster per namespace, outside ranges as boxes, and one edge
// per connection labelled with its ports. %q quotes as strconv.Quote does, escaping
// every character Escape does.
func renderConnsDot(w io.Writer, conns iter.Seq[reach.Connection]) error {
	b := bufio.NewWriterSize(w, 64<<10)
	b.WriteString("digraph netpol {\n  rankdir=LR;\n  node [shape=ellipse, fontsize=10];\n  edge [fontsize=9];\n")
	byNS := map[string][]reach.Endpoint{}
	var nsOrder []string
	var outside []reach.Endpoint
	seen := map[reach.Endpoint]bool{}
	add := func(e reach.Endpoint) {
		if seen[e] {
			return
		}
		seen[e] = true
		if e.IsExternal() {
			outside = append(outside, e)
			return
		}
		if _, ok := byNS[e.Namespace]; !ok {
			nsOrder = append(nsOrder, e.Namespace)
		}
		byNS[e.Namespace] = append(byNS[e.Namespace], e)
	}
	for c := range conns {
		add(c.Src)
		add(c.Dst)
	}
	for i, ns := range nsOrder {
		fmt.Fprintf(b, "  subgraph cluster_%d {\n    label=%q;\n", i, ns)
		for _, e := range byNS[ns] {
			fmt.Fprintf(b, "    %q [label=%q];\n", e.String(), strings.TrimPrefix(connName(e), e.Namespace+"/"))
		}
		b.WriteString("  }\n")
	}
	for _, e := range outside {
		fmt.Fprintf(b, "  %q [shape=box];\n", e.String())
	}
	for c := range conns {
		fmt.Fprintf(b, "  %q -> %q [label=%q];\n", c.Src.String(), c.Dst.String(), c.Ports.String())
	}
	b.WriteString("}\n")
	return b.Flush()
}

// ConnectionsGraph is the NetworkPolicy connectivity of the HTML report: each workload
// that may connect to another, with the ports. ok is false when there are more than max
// connections, too many to draw: the caller says so instead.
func ConnectionsGraph(conns iter.Seq[reach.Connection], max int) (g htmlreport.Graph, n int, ok bool) {
	g = htmlreport.Graph{ID: "network", Title: "NetworkPolicy connectivity",
		Notes: []string{"Which workload may open connections to which, on which ports, as the NetworkPolicies allow (moat netpol conns lists them; moat netpol explain says why)."}}
	seen := map[string]bool{}
	add := func(e reach.Endpoint) string {
		id := e.String()
		if !seen[id] {
			seen[id] = true
			kind := "workload"
			if e.IsExternal() {
				kind = "external"
			}
			g.Nodes = append(g.Nodes, htmlreport.Node{ID: id, Kind: kind, Label: connName(e), Namespace: e.Namespace})
		}
		return id
	}
	for c := range conns {
		n++
		if n > max {
			continue // counted, not drawn
		}
		ports := "all ports"
		if !c.Ports.IsAll() {
			ports = strings.Join(c.Ports.Strings(), ", ")
		}
		g.Edges = append(g.Edges, htmlreport.Edge{From: add(c.Src), To: add(c.Dst), Kind: "network", Label: ports})
	}
	if n > max {
		return htmlreport.Graph{}, n, false
	}
	return g, n, true
}

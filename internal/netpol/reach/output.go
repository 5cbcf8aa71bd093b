package reach

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
)

// Formats are the output formats of WriteConnections.
var Formats = []string{"table", "json", "csv", "dot"}

// jsonPorts is "all" or the list of ports.
type jsonPorts PortSet

func (p jsonPorts) MarshalJSON() ([]byte, error) {
	ps := PortSet(p)
	if ps.IsAll() {
		return json.Marshal("all")
	}
	return json.Marshal(ps.Strings())
}

type jsonConn struct {
	Src   Endpoint  `json:"src"`
	Dst   Endpoint  `json:"dst"`
	Ports jsonPorts `json:"ports"`
}

// WriteConnections renders connections as table, json, csv or dot.
func WriteConnections(w io.Writer, format string, conns []Connection) error {
	return WriteConnectionSeq(w, format, slices.Values(conns))
}

// WriteConnectionSeq renders a sequence of connections (which it may walk twice) as
// table, json, csv or dot, streaming: only the table holds one line's text at a time.
func WriteConnectionSeq(w io.Writer, format string, conns iter.Seq[Connection]) error {
	switch format {
	case "table", "":
		// Columns padded by hand, widths from a first pass: tabwriter holds every cell.
		ws, wd := len("SRC"), len("DST")
		for c := range conns {
			ws, wd = max(ws, len(c.Src.String())), max(wd, len(c.Dst.String()))
		}
		bw := bufio.NewWriterSize(w, 64<<10)
		fmt.Fprintf(bw, "%-*s  %-*s  %s\n", ws, "SRC", wd, "DST", "PORTS")
		for c := range conns {
			fmt.Fprintf(bw, "%-*s  %-*s  %s\n", ws, c.Src.String(), wd, c.Dst.String(), c.Ports)
		}
		return bw.Flush()
	case "json":
		// {"connections": [...]} written one connection at a time.
		bw := bufio.NewWriterSize(w, 64<<10)
		bw.WriteString("{\n  \"connections\": [")
		first := true
		for c := range conns {
			data, err := json.Marshal(jsonConn{c.Src, c.Dst, jsonPorts(c.Ports)})
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
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"src", "dst", "ports"})
		for c := range conns {
			ports := "all"
			if !c.Ports.IsAll() {
				ports = strings.Join(c.Ports.Strings(), " ")
			}
			_ = cw.Write([]string{c.Src.String(), c.Dst.String(), ports})
		}
		cw.Flush()
		return cw.Error()
	case "dot":
		return writeDot(w, conns)
	}
	return fmt.Errorf("unknown output format %q (want %s)", format, strings.Join(Formats, ", "))
}

// writeDot draws one cluster per namespace, outside ranges as boxes, and one edge per
// connection labelled with its ports.
func writeDot(w io.Writer, conns iter.Seq[Connection]) error {
	b := bufio.NewWriterSize(w, 64<<10)
	b.WriteString("digraph netpol {\n  rankdir=LR;\n  node [shape=ellipse, fontsize=10];\n  edge [fontsize=9];\n")
	byNS := map[string][]Endpoint{}
	var nsOrder []string
	var outside []Endpoint
	seen := map[Endpoint]bool{}
	add := func(e Endpoint) {
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
			fmt.Fprintf(b, "    %q [label=%q];\n", e.String(), e.Kind+"/"+e.Name)
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

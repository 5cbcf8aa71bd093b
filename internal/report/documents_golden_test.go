package report

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/audit"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/rbac/paths"
)

// documentCase renders one fixture of a document in one format.
type documentCase struct {
	golden string // file under testdata/golden
	render func(w io.Writer) error
}

// cases gives a case per format of f for the fixture, named DOC.NAME.FORMAT.
func cases[T any](f *Formats[T], doc, name string, v T) []documentCase {
	var out []documentCase
	for _, format := range f.Names() {
		r, err := f.New(format, Options{})
		if err != nil {
			panic(err)
		}
		ext := map[string]string{"table": "txt"}[format]
		if ext == "" {
			ext = format
		}
		out = append(out, documentCase{doc + "." + name + "." + ext, func(w io.Writer) error { return r.Render(w, v) }})
	}
	return out
}

func alertCases(name string, as []audit.Alert) []documentCase {
	var out []documentCase
	for _, format := range Alerts.Names() {
		ext := map[string]string{"table": "txt", "json": "jsonl"}[format]
		out = append(out, documentCase{"alerts." + name + "." + ext, func(w io.Writer) error {
			aw, err := Alerts.New(format, w, Options{})
			if err != nil {
				return err
			}
			for _, a := range as {
				if err := aw.Write(a); err != nil {
					return err
				}
			}
			return aw.Close()
		}})
	}
	return out
}

// The output of every command but scan, kept as golden files: they were checked equal,
// byte for byte, to what the commands printed before rendering moved here.
func TestDocumentsGolden(t *testing.T) {
	var all []documentCase
	who := whoCanFixture(t)
	for _, name := range []string{"url", "pods", "none", "two ways"} {
		all = append(all, cases(WhoCan, "whocan", strings.ReplaceAll(name, " ", "-"), who[name])...)
	}
	can := canFixture(t)
	for _, name := range []string{"deployer", "developer", "masters", "nobody"} {
		all = append(all, cases(Can, "can", name, can[name])...)
	}
	all = append(all, cases(Paths, "paths", "world", pathsFixture(t))...)
	all = append(all, cases(Paths, "paths", "none", []paths.Path(nil))...)
	all = append(all, cases(Connections, "conns", "shop", connSeq(connsFixture()))...)
	all = append(all, cases(Connections, "conns", "none", connSeq(nil))...)
	all = append(all, cases(Rules, "rules", "fixture", rulesFixture())...)
	all = append(all, cases(DetectionRules, "detection-rules", "fixture", detectionRulesFixture())...)
	all = append(all, cases(DetectionRules, "detection-rules", "none", nil)...)
	all = append(all, alertCases("fixture", alertsFixture())...)
	all = append(all, alertCases("none", nil)...)
	for _, c := range all {
		t.Run(c.golden, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := c.render(&a); err != nil {
				t.Fatal(err)
			}
			if err := c.render(&b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("two renderings differ")
			}
			golden(t, c.golden, a.Bytes())
		})
	}
}

// The table of connections walks the sequence twice (widths first) and pads each column
// to its widest cell.
func TestConnectionsTableColumns(t *testing.T) {
	out := string(render(t, newRenderer(t, Connections, "table", Options{}), connSeq(connsFixture())))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1+len(connsFixture()) {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	col := strings.Index(lines[0], "DST")
	for _, l := range lines[1:] {
		if l[col-2:col] != "  " || l[col] == ' ' {
			t.Errorf("DST column not at %d: %q", col, l)
		}
	}
}

// The sequence may be a single-use one as long as it can be walked twice: ConnectionSet
// gives one; a slice's values will do.
func TestConnectionsOfConnectionSet(t *testing.T) {
	var n int
	seq := func(yield func(reach.Connection) bool) {
		n++
		for _, c := range connsFixture() {
			if !yield(c) {
				return
			}
		}
	}
	for _, format := range Connections.Names() {
		n = 0
		got := render(t, newRenderer(t, Connections, format, Options{}), seq)
		want := render(t, newRenderer(t, Connections, format, Options{}), slices.Values(connsFixture()))
		if !bytes.Equal(got, want) || n == 0 || n > 2 {
			t.Errorf("%s: walked %d times, output differs: %v", format, n, !bytes.Equal(got, want))
		}
	}
}

// The DOT of paths draws subjects as boxes, goals as red octagons, and a step's primitive
// under its description (moved from internal/rbac/paths).
func TestPathsDot(t *testing.T) {
	out := string(render(t, newRenderer(t, Paths, "dot", Options{}), pathsFixture(t)))
	for _, want := range []string{"digraph escalation {", `[label="Group developers", shape=box]`,
		`[label="cluster-admin", shape=octagon, color=red, fontcolor=red]`, `\nrbac/bind-verb"]`} {
		if !strings.Contains(out, want) {
			t.Errorf("dot output lacks %s:\n%s", want, out)
		}
	}
}

// A step's label gives its description and, under it, its primitive (the case of the
// former internal/rbac/paths TestWriteDot). Impersonating a group takes impersonating a
// user too: the API server refuses a request that names groups alone.
func TestPathsDotImpersonation(t *testing.T) {
	world := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: masters}
rules:
- {apiGroups: [""], resources: [groups, users], verbs: [impersonate]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: oncall}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: masters}
subjects: [{kind: User, apiGroup: rbac.authorization.k8s.io, name: dev}]`
	objs, errs := inventory.Decode(strings.NewReader(world), "world.yaml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ps := paths.Find(paths.FromInventory(inventory.NewInventory(objs)))
	out := string(render(t, newRenderer(t, Paths, "dot", Options{}), ps))
	for _, want := range []string{"digraph escalation {", `[label="User dev", shape=box]`, `shape=octagon`,
		`[label="impersonate the group system:masters\nrbac/impersonate"]`} {
		if !strings.Contains(out, want) {
			t.Errorf("dot output lacks %s:\n%s", want, out)
		}
	}
}

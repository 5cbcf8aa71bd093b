package paths

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "github.com/moat-dev/moat/internal/catalog" // the evidence rules
	"github.com/moat-dev/moat/internal/inventory"
)

// layerCase is a fixture directory under testdata and what its graph must and must not
// hold.
type layerCase struct {
	name   string
	dir    string
	opt    Options
	want   []layerWant
	absent []layerEnds
}

// layerEnds names an edge.
type layerEnds struct {
	from, to string
	kind     EdgeKind
}

// layerWant is an edge that must be there, with exactly these fixes (none when empty),
// and evidence that names these rules and says these things.
type layerWant struct {
	layerEnds
	fixes []string
	rules []string
	says  []string
}

// layerFixture builds the graph of a fixture directory.
func layerFixture(t *testing.T, dir string, opt Options) *Graph {
	t.Helper()
	inv := inventory.Load([]string{filepath.Join("testdata", dir)}, inventory.Options{})
	if len(inv.Errors) > 0 {
		t.Fatalf("load %s: %v", dir, inv.Errors)
	}
	g, err := Build(context.Background(), inv, opt)
	if err != nil {
		t.Fatalf("build %s: %v", dir, err)
	}
	return g
}

// layerEdgeAt is the graph's edge of these ends, or nil.
func layerEdgeAt(g *Graph, at layerEnds) *Edge {
	for _, e := range g.out[at.from] {
		if e.To == at.to && e.Kind == at.kind {
			return e
		}
	}
	return nil
}

func runLayerCases(t *testing.T, cases []layerCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := layerFixture(t, tc.dir, tc.opt)
			for _, w := range tc.want {
				e := layerEdgeAt(g, w.layerEnds)
				if e == nil {
					t.Errorf("no %s edge %s → %s", w.kind, w.from, w.to)
					continue
				}
				checkLayerEdge(t, g, e, w)
			}
			for _, a := range tc.absent {
				if e := layerEdgeAt(g, a); e != nil {
					t.Errorf("unexpected %s edge %s → %s: %+v", a.kind, a.from, a.to, e.Evidence)
				}
			}
		})
	}
}

func checkLayerEdge(t *testing.T, g *Graph, e *Edge, w layerWant) {
	t.Helper()
	if g.Nodes[e.From] == nil || g.Nodes[e.To] == nil {
		t.Errorf("%s → %s: an end has no node", e.From, e.To)
	}
	var fixes, rules, said []string
	for _, f := range e.Fixes {
		fixes = append(fixes, f.ID)
		if f.Remediation == "" {
			t.Errorf("%s → %s: fix %s has no remediation", e.From, e.To, f.ID)
		}
	}
	for _, ev := range e.Evidence {
		rules = append(rules, ev.RuleID)
		said = append(said, ev.Message)
	}
	slices.Sort(fixes)
	want := slices.Sorted(slices.Values(w.fixes))
	if !slices.Equal(fixes, want) {
		t.Errorf("%s → %s: fixes %q, want %q", e.From, e.To, fixes, want)
	}
	for _, r := range w.rules {
		if !slices.Contains(rules, r) {
			t.Errorf("%s → %s: evidence rules %q lack %s", e.From, e.To, rules, r)
		}
	}
	all := strings.Join(said, "\n")
	for _, s := range w.says {
		if !strings.Contains(all, s) {
			t.Errorf("%s → %s: evidence does not say %q:\n%s", e.From, e.To, s, all)
		}
	}
}

func escapeEdge(workload, node string) layerEnds {
	return layerEnds{"workload:" + workload, node, EdgeEscape}
}

const assumeEscape = "a container escape gives root on the node, and with it the kubelet's credentials"

func TestEscapeEdges(t *testing.T) {
	anyNode := NodeHostID("*")
	runLayerCases(t, []layerCase{
		{name: "privileged container", dir: "escape/privileged",
			want: []layerWant{{layerEnds: escapeEdge("shop/Deployment/web", anyNode),
				fixes: []string{"pod/privileged-container Deployment/shop/web"}, rules: []string{"pod/privileged-container"}}}},
		{name: "privileged false", dir: "escape/privileged-fixed",
			absent: []layerEnds{escapeEdge("shop/Deployment/web", anyNode)}},
		{name: "hostPID on a pod pinned to a node", dir: "escape/host-pid-pinned",
			want: []layerWant{{layerEnds: escapeEdge("ops/Pod/debug", NodeHostID("worker-1")),
				fixes: []string{"pod/host-namespaces Pod/ops/debug"}, says: []string{"hostPID"}}},
			absent: []layerEnds{escapeEdge("ops/Pod/debug", anyNode)}},
		{name: "hostPID false", dir: "escape/host-pid-pinned-fixed",
			absent: []layerEnds{escapeEdge("ops/Pod/debug", NodeHostID("worker-1"))}},
		{name: "hostNetwork reaches the node's kubelet", dir: "escape/host-network",
			want: []layerWant{{layerEnds: escapeEdge("monitoring/DaemonSet/metrics", anyNode),
				fixes: []string{"pod/host-namespaces DaemonSet/monitoring/metrics"}, says: []string{"hostNetwork"}}}},
		{name: "no hostNetwork", dir: "escape/host-network-fixed",
			absent: []layerEnds{escapeEdge("monitoring/DaemonSet/metrics", anyNode)}},
		{name: "writable hostPath: removing the volume or mounting it read-only closes it", dir: "escape/writable-host-path",
			want: []layerWant{{layerEnds: escapeEdge("shop/Deployment/cache", anyNode),
				fixes: []string{"pod/host-path-volumes Deployment/shop/cache", "pod/writable-host-path Deployment/shop/cache"},
				rules: []string{"pod/host-path-volumes", "pod/writable-host-path"}}}},
		{name: "read-only hostPath of a path that is not sensitive", dir: "escape/writable-host-path-fixed",
			absent: []layerEnds{escapeEdge("shop/Deployment/cache", anyNode)}},
		{name: "read-only runtime socket: read-only does not help", dir: "escape/sensitive-host-path",
			want: []layerWant{{layerEnds: escapeEdge("ci/Job/image-build", anyNode),
				fixes: []string{"pod/host-path-volumes Job/ci/image-build", "pod/sensitive-host-path Job/ci/image-build"},
				rules: []string{"pod/sensitive-host-path"}, says: []string{"docker.sock"}}}},
		{name: "read-only cache directory", dir: "escape/sensitive-host-path-fixed",
			absent: []layerEnds{escapeEdge("ci/Job/image-build", anyNode)}},
		{name: "SYS_ADMIN written as cap_sys_admin", dir: "escape/capability",
			want: []layerWant{{layerEnds: escapeEdge("edge/Deployment/vpn", anyNode),
				fixes: []string{"pod/dangerous-capabilities Deployment/edge/vpn", "pod/unrestricted-capabilities Deployment/edge/vpn"},
				says:  []string{"SYS_ADMIN"}}}},
		{name: "NET_RAW is dangerous but no escape", dir: "escape/capability-fixed",
			absent: []layerEnds{escapeEdge("edge/Deployment/vpn", anyNode)}},
		{name: "SYS_PTRACE traces only the pod's own processes", dir: "escape/ptrace",
			absent: []layerEnds{escapeEdge("ops/Deployment/profiler", anyNode)}},
		{name: "SYS_PTRACE with hostPID: closing hostPID closes both", dir: "escape/ptrace-host-pid",
			want: []layerWant{{layerEnds: escapeEdge("ops/Deployment/profiler", anyNode),
				fixes: []string{"pod/host-namespaces Deployment/ops/profiler"},
				rules: []string{"pod/host-namespaces", "pod/dangerous-capabilities"}, says: []string{"SYS_PTRACE"}}}},
		{name: "unmasked /proc", dir: "escape/proc-mount",
			want: []layerWant{{layerEnds: escapeEdge("ops/Pod/tracer", anyNode),
				fixes: []string{"pod/unmasked-proc-mount Pod/ops/tracer"}}}},
		{name: "default /proc", dir: "escape/proc-mount-fixed",
			absent: []layerEnds{escapeEdge("ops/Pod/tracer", anyNode)}},
		{name: "privileged and hostPID: one fix closes both", dir: "escape/two-ways",
			want: []layerWant{{layerEnds: escapeEdge("ops/Deployment/node-shell", anyNode),
				fixes: []string{"escape pod/privileged-container+pod/host-namespaces Deployment/ops/node-shell"},
				rules: []string{"pod/privileged-container", "pod/host-namespaces"}}}},
	})
}

// TestEscapeAssumption: the assumption is stated when, and only when, a workload escapes.
func TestEscapeAssumption(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want bool
	}{{"escape/privileged", true}, {"escape/privileged-fixed", false}} {
		g := layerFixture(t, tc.dir, Options{})
		has := slices.ContainsFunc(g.Assumptions, func(a Assumption) bool { return a.Text == assumeEscape })
		if has != tc.want {
			t.Errorf("%s: escape assumption stated %v, want %v (%v)", tc.dir, has, tc.want, g.Assumptions)
		}
	}
}

// TestEscapeFixCutsPath: from the escaping workload, assumed breached, a path reaches
// its node; applying any fix of the escape edge leaves no path there.
func TestEscapeFixCutsPath(t *testing.T) {
	for _, tc := range []struct{ dir, workload, node string }{
		{"escape/privileged", "shop/Deployment/web", "node:*"},
		{"escape/host-pid-pinned", "ops/Pod/debug", "node:worker-1"},
		{"escape/writable-host-path", "shop/Deployment/cache", "node:*"},
		{"escape/sensitive-host-path", "ci/Job/image-build", "node:*"},
		{"escape/capability", "edge/Deployment/vpn", "node:*"},
		{"escape/two-ways", "ops/Deployment/node-shell", "node:*"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			g := layerFixture(t, tc.dir, Options{Breached: []string{tc.workload}})
			entry := BreachID(tc.workload)
			if !layerPathListed(g, entry, tc.node, nil) {
				t.Fatalf("no path from %s to %s", entry, tc.node)
			}
			e := layerEdgeAt(g, escapeEdge(tc.workload, tc.node))
			for _, f := range e.Fixes {
				if layerPathListed(g, entry, tc.node, removedSet{f.ID: true}) {
					t.Errorf("with %s applied, %s still reaches %s", f.ID, entry, tc.node)
				}
			}
		})
	}
}

// layerPathListed says whether g.Paths lists a path from entry to target.
func layerPathListed(g *Graph, entry, target string, removed removedSet) bool {
	return slices.ContainsFunc(g.Paths(removed), func(p Path) bool { return p.Entry == entry && p.Target == target })
}

// FuzzLayers builds the graph of any manifest, seeded with the fixtures of the escape,
// node, identity and secrets layers: no panic, and every edge joins two nodes.
func FuzzLayers(f *testing.F) {
	for _, layer := range []string{"escape", "node", "identity", "secrets"} {
		files, _ := filepath.Glob(filepath.Join("testdata", layer, "*", "*.yaml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data, false)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, isolated bool) {
		inv := inventory.Load([]string{"-"}, inventory.Options{Stdin: bytes.NewReader(data)})
		g, err := Build(context.Background(), inv, Options{IsolatedNodes: isolated})
		if err != nil {
			return
		}
		for _, e := range g.Edges {
			if g.Nodes[e.From] == nil || g.Nodes[e.To] == nil {
				t.Fatalf("edge %s → %s (%s) has an end without a node", e.From, e.To, e.Kind)
			}
		}
	})
}

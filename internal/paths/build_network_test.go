package paths

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/podspec"
)

const (
	apiID = "workload:shop/Deployment/api"
	dbID  = "workload:shop/StatefulSet/db"
)

// networkReaches reports whether a network edge, or a segment, joins two workloads.
func networkReaches(g *Graph, from, to string) bool {
	for _, e := range g.out[from] {
		if e.Kind != EdgeNetwork {
			continue
		}
		if e.To == to {
			return true
		}
		if g.Nodes[e.To].Kind == KindSegment && edgeBetween(g, e.To, to, EdgeNetwork) != nil {
			return true
		}
	}
	return false
}

func TestNetwork(t *testing.T) {
	cases := []struct {
		name     string
		dir      string
		from, to string
		// message is a part of the evidence of the edge into to; "" wants no edge.
		message string
		// policy is the NetworkPolicy the evidence points at, if any.
		policy string
	}{
		{"no policy: web may connect to the database's port", "network/open", webID, dbID,
			"may connect on TCP/5432 (no NetworkPolicy selects the target)", ""},
		{"a policy that lets only the api in cuts web off", "network/isolated", webID, dbID, "", ""},
		{"the api is still let in, by the policy", "network/isolated", apiID, dbID,
			"may connect on TCP/5432 (allowed by NetworkPolicy shop/db)", "shop/db"},
		{"default deny cuts every connection", "network/default-deny", apiID, dbID, "", ""},
		{"a target with no declared port may serve on any allowed port", "network/no-ports", webID, dbID,
			"may connect on any port (no NetworkPolicy selects the target); the target declares no container port", ""},
		{"a policy allowing only a port the target does not serve allows nothing", "network/port-not-served", apiID, dbID, "", ""},
		{"egress limited to the api: web cannot reach the database", "network/egress-limited", webID, dbID, "", ""},
		{"egress limited to the api: web reaches the api", "network/egress-limited", webID, apiID,
			"may connect on TCP/9000 (no NetworkPolicy selects the target)", ""},
		{"the api reaches web in any case", "network/egress-limited", apiID, webID,
			"may connect on TCP/8080", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := mustGraphForCase(t, c.dir, Options{})
			e := edgeBetween(g, c.from, c.to, EdgeNetwork)
			if c.message == "" {
				if e != nil {
					t.Fatalf("want no edge, got %s -> %s: %s", e.From, e.To, e.Evidence[0].Message)
				}
				if c.dir == "network/default-deny" && len(edgesOfKind(g, EdgeNetwork)) > 0 {
					t.Fatalf("default deny: %d network edges", len(edgesOfKind(g, EdgeNetwork)))
				}
				return
			}
			if e == nil {
				t.Fatalf("no edge %s -> %s", c.from, c.to)
			}
			ev := e.Evidence[0]
			if !strings.Contains(ev.Message, c.message) {
				t.Errorf("evidence %q, want %q", ev.Message, c.message)
			}
			target := strings.TrimPrefix(c.to, "workload:")
			if ids := fixIDs(e); !slices.Equal(ids, []string{"netpol-isolate " + target}) {
				t.Errorf("fixes %q", ids)
			}
			if f := e.Fixes[0]; f.Resource == nil || WorkloadID(*f.Resource) != c.to || !strings.Contains(f.Remediation, target) {
				t.Errorf("fix %+v is not on the target", f)
			}
			if c.policy != "" {
				r := ev.Resource
				if r == nil || r.Kind != "NetworkPolicy" || r.Namespace+"/"+r.Name != c.policy || ev.Source == nil || ev.Source.Line == 0 {
					t.Errorf("evidence does not point at NetworkPolicy %s with a line: %+v", c.policy, ev)
				}
			}
			if !slices.ContainsFunc(g.Assumptions, func(a Assumption) bool { return a == assumeNetwork }) {
				t.Error("the network assumption is not stated")
			}
		})
	}
}

// A dense group goes through a segment: its clients each reach it, without a fix,
// and it reaches each server with the server's fix. A server few may reach keeps
// direct edges.
func TestNetworkSegment(t *testing.T) {
	g := mustGraphForCase(t, "network/segment", Options{})
	var segs []string
	for _, id := range g.NodeIDs() {
		if g.Nodes[id].Kind == KindSegment {
			segs = append(segs, id)
		}
	}
	if len(segs) != 1 {
		t.Fatalf("segments %q, want one", segs)
	}
	seg := segs[0]
	in, out := 0, 0
	for _, e := range edgesOfKind(g, EdgeNetwork) {
		switch seg {
		case e.To:
			in++
			if len(e.Fixes) != 0 || !strings.Contains(e.Evidence[0].Message, "no NetworkPolicy limits its egress") {
				t.Errorf("%s -> segment: %+v, fixes %q", e.From, e.Evidence, fixIDs(e))
			}
		case e.From:
			out++
			if ids := fixIDs(e); !slices.Equal(ids, []string{"netpol-isolate " + strings.TrimPrefix(e.To, "workload:")}) {
				t.Errorf("segment -> %s: fixes %q", e.To, ids)
			}
		}
	}
	if in != 11 || out != 10 {
		t.Errorf("segment: %d clients, %d servers; want 11 (every workload), 10 (the shops)", in, out)
	}
	shop := func(i string) string { return "workload:mall/Deployment/shop-" + i }
	till := "workload:mall/Deployment/till"
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{shop("3"), shop("7"), true},
		{till, shop("0"), true},
		{shop("0"), till, true},
		{shop("1"), till, true},
		{shop("3"), till, false},
	} {
		if got := networkReaches(g, c.from, c.to); got != c.want {
			t.Errorf("%s reaches %s: %v, want %v", c.from, c.to, got, c.want)
		}
	}
	if e := edgeBetween(g, shop("0"), till, EdgeNetwork); e == nil || !strings.Contains(e.Evidence[0].Message, "allowed by NetworkPolicy mall/till") {
		t.Errorf("shop-0 -> till: %+v", e)
	}
}

// The pairs the layer joins, directly or through a segment, are exactly the pairs of
// workloads the engine lets connect on a port the target serves (any port when it
// declares none), as its full enumeration (ConnectionSet) lists them.
func TestNetworkMatchesEngine(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/network/*")
	dirs = append(dirs, "testdata/entry/two-ways", "../../examples/shop", "../../examples/shop-hardened")
	if f := os.Getenv("MOAT_PATHS_BENCH"); f != "" && !testing.Short() {
		dirs = append(dirs, f)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			inv := inventory.Load([]string{dir}, inventory.Options{})
			if len(inv.Errors) > 0 {
				t.Skipf("%s: %v", dir, inv.Errors[0])
			}
			b := layerBuilder(inv)
			if err := b.network(); err != nil {
				t.Fatal(err)
			}
			got := graphPairs(b.g)
			want := enginePairs(inv)
			if len(want) == 0 && !strings.Contains(dir, "default-deny") && !strings.Contains(dir, "shop-hardened") {
				t.Errorf("%s: the engine lets nothing connect; the case tests nothing", dir)
			}
			for p := range want {
				if !got[p] {
					t.Errorf("the engine lets %s connect to %s; the graph does not", p[0], p[1])
				}
			}
			for p := range got {
				if !want[p] {
					t.Errorf("the graph lets %s connect to %s; the engine does not", p[0], p[1])
				}
			}
		})
	}
}

// layerBuilder is the builder Build makes, before any layer.
func layerBuilder(inv *inventory.Inventory) *builder {
	b := &builder{ctx: context.Background(), g: newGraph(), inv: inv, workloads: map[finding.Resource]*inventory.Object{}}
	for _, o := range inv.Objects {
		if _, ok := podspec.Of(o); ok {
			b.workloads[o.Ref()] = o
		}
	}
	return b
}

// graphPairs are the workload pairs the network edges join, directly or through a
// segment, without a workload's pair with itself.
func graphPairs(g *Graph) map[[2]string]bool {
	out := map[[2]string]bool{}
	into := map[string][]string{} // segment → its clients
	for _, e := range edgesOfKind(g, EdgeNetwork) {
		if g.Nodes[e.To].Kind == KindSegment {
			into[e.To] = append(into[e.To], e.From)
		}
	}
	for _, e := range edgesOfKind(g, EdgeNetwork) {
		switch {
		case g.Nodes[e.From].Kind == KindSegment:
			for _, s := range into[e.From] {
				if s != e.To {
					out[[2]string{s, e.To}] = true
				}
			}
		case g.Nodes[e.To].Kind != KindSegment:
			out[[2]string{e.From, e.To}] = true
		}
	}
	return out
}

// enginePairs are the pairs of workloads that the engine's full enumeration lets
// connect on a port the target serves.
func enginePairs(inv *inventory.Inventory) map[[2]string]bool {
	m := reach.FromInventory(inv)
	a := reach.Analyze(m, reach.Options{})
	byRef := map[reach.Endpoint]*reach.Workload{}
	for _, w := range m.Workloads {
		byRef[w.Ref()] = w
	}
	out := map[[2]string]bool{}
	for c := range a.ConnectionSet().All() {
		src, dst := byRef[c.Src], byRef[c.Dst]
		if src == nil || dst == nil || src == dst {
			continue
		}
		p := c.Ports
		if len(dst.Ports) > 0 {
			var served reach.PortSet
			for _, cp := range dst.Ports {
				served = served.Union(reach.Port(cp.Protocol, cp.Port))
			}
			p = p.Intersect(served)
		}
		if !p.IsEmpty() {
			out[[2]string{WorkloadID(src.Obj.Ref()), WorkloadID(dst.Obj.Ref())}] = true
		}
	}
	return out
}

// BenchmarkNetworkLayer is the network layer alone on the file MOAT_PATHS_BENCH names
// (go run ./bench/gen -n 10000 > FILE).
func BenchmarkNetworkLayer(b *testing.B) {
	file := os.Getenv("MOAT_PATHS_BENCH")
	if file == "" {
		b.Skip("set MOAT_PATHS_BENCH to a generated file (go run ./bench/gen -n 10000)")
	}
	inv := inventory.Load([]string{file}, inventory.Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lb := layerBuilder(inv)
		if err := lb.network(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(lb.g.Edges)), "edges")
	}
}

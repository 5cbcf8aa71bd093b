package paths

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomGraph makes a graph of n nodes: entries, plain nodes and targets, with random
// edges, each removable by one of a few shared fixes or by none.
func randomGraph(r *rand.Rand, n int) *Graph {
	g := newGraph()
	kinds := []NodeKind{KindEntry, KindWorkload, KindServiceAccount, KindSecret, KindPower}
	for i := 0; i < n; i++ {
		k := kinds[r.IntN(len(kinds))]
		g.node(Node{ID: fmt.Sprintf("n%02d", i), Kind: k, Name: fmt.Sprint(i), Target: k == KindSecret || k == KindPower})
	}
	fixes := make([]*Fix, 1+r.IntN(6))
	for i := range fixes {
		fixes[i] = g.fix(Fix{ID: fmt.Sprintf("fix%d", i), Remediation: "remove it"})
	}
	for e := 0; e < 2*n; e++ {
		from, to := fmt.Sprintf("n%02d", r.IntN(n)), fmt.Sprintf("n%02d", r.IntN(n))
		if from == to {
			continue
		}
		var fs []*Fix
		for _, f := range fixes {
			if r.IntN(4) == 0 {
				fs = append(fs, f)
			}
		}
		g.edge(from, to, EdgeNetwork, Evidence{Message: "random"}, fs...)
	}
	g.sortEdges()
	return g
}

// connected answers reachability by a depth-first search written apart from search,
// over edges none of whose fixes is applied.
func connected(g *Graph, from, to string, applied map[string]bool) bool {
	seen := map[string]bool{}
	var dfs func(string) bool
	dfs = func(at string) bool {
		if at == to {
			return true
		}
		seen[at] = true
		for _, e := range g.Edges {
			if e.From != at || seen[e.To] {
				continue
			}
			if slices.ContainsFunc(e.Fixes, func(f *Fix) bool { return applied[f.ID] }) {
				continue
			}
			if dfs(e.To) {
				return true
			}
		}
		return false
	}
	return dfs(from)
}

// TestChokePointsCutWhatTheySay is the property the output promises: applying the
// choke points' fixes in order, each one leaves the entry of every path it says it
// cuts unable to reach that path's target by any way at all, and the paths it does not
// claim are the ones the fixes before it and it do not disconnect.
func TestChokePointsCutWhatTheySay(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		r := rand.New(rand.NewPCG(seed, seed*7+1))
		g := randomGraph(r, 6+r.IntN(20))
		ps := g.Paths(nil)
		for _, p := range ps {
			if !connected(g, p.Entry, p.Target, nil) {
				t.Fatalf("seed %d: listed path %s -> %s is not connected", seed, p.Entry, p.Target)
			}
		}
		cps := g.ChokePoints(ps, 4)
		applied := map[string]bool{}
		claimed := map[int]bool{}
		for _, cp := range cps {
			applied[cp.Fix.ID] = true
			if len(cp.Cuts) == 0 {
				t.Fatalf("seed %d: choke point %s cuts nothing", seed, cp.Fix.ID)
			}
			for _, i := range cp.Cuts {
				if claimed[i] {
					t.Fatalf("seed %d: path %d claimed twice", seed, i)
				}
				claimed[i] = true
				if connected(g, ps[i].Entry, ps[i].Target, applied) {
					t.Fatalf("seed %d: %s says it cuts %s -> %s, which stays connected", seed, cp.Fix.ID, ps[i].Entry, ps[i].Target)
				}
			}
		}
		for i, p := range ps {
			if !claimed[i] && !connected(g, p.Entry, p.Target, applied) {
				t.Fatalf("seed %d: %s -> %s is cut by the choke points but no one claims it", seed, p.Entry, p.Target)
			}
		}
	}
}

// TestPathsAreShortestAndRanked checks a small graph by hand.
func TestPathsAreShortestAndRanked(t *testing.T) {
	g := newGraph()
	g.node(Node{ID: InternetID, Kind: KindEntry, Name: "the internet"})
	g.node(Node{ID: "w:a", Kind: KindWorkload, Name: "a"})
	g.node(Node{ID: "w:b", Kind: KindWorkload, Name: "b"})
	g.node(Node{ID: PowerID(PowerClusterAdmin), Kind: KindPower, Name: PowerClusterAdmin, Target: true})
	g.node(Node{ID: SecretID("ns", "s"), Kind: KindSecret, Name: "s", Target: true})
	priv := g.fix(Fix{ID: "privileged a"})
	g.edge(InternetID, "w:a", EdgeEntry, Evidence{Message: "exposed"})
	g.edge("w:a", "w:b", EdgeNetwork, Evidence{Message: "net"})
	g.edge("w:b", PowerID(PowerClusterAdmin), EdgeRBAC, Evidence{Message: "rbac"})
	g.edge("w:a", PowerID(PowerClusterAdmin), EdgeEscape, Evidence{Message: "shortcut"}, priv)
	g.edge("w:b", SecretID("ns", "s"), EdgeSecret, Evidence{Message: "mounts"})
	g.sortEdges()
	ps := g.Paths(nil)
	if len(ps) != 2 || ps[0].Target != PowerID(PowerClusterAdmin) || len(ps[0].Edges) != 2 {
		t.Fatalf("paths %+v: want cluster-admin first, by the two-step shortcut", ps)
	}
	cps := g.ChokePoints(ps, 3)
	// The shortcut's fix leaves the longer way: it disconnects nothing, so no fix
	// qualifies (the other edges have none).
	if len(cps) != 0 {
		t.Errorf("choke points %+v: want none (every path has a way around or no fix)", cps)
	}
}

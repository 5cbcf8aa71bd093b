package netpol

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/rule"
)

// The database rule asks the engine by pieces of sources (reach.Splitter) instead of
// source by source. These tests hold the new way to the old: the rule as it was, asking
// Grants of every pair of a database and a source, must give the same results, in the
// same order, on random worlds of every policy kind; and the pieces must say what
// Grants says of each source.

// equivalenceWorlds are random worlds: narrow ones (two or three namespaces, as in
// monotone_test.go) and wide ones (eight namespaces, more policies), where the lists
// of sources are long enough to be cut ("and 3 more").
func equivalenceWorlds(n int) [][]*inventory.Object {
	var out [][]*inventory.Object
	for i := range n {
		g := &gen{r: rand.New(rand.NewPCG(uint64(i), 0x73706c6974))}
		if i%2 == 1 {
			g.nss, g.wide = []string{"a", "b", "c", "d", "e", "f", "g", "h"}, true
		}
		objs := g.world()
		if g.wide {
			for range g.r.IntN(8) {
				objs = append(objs, g.policy(true))
			}
		}
		out = append(out, objs)
	}
	return out
}

func TestDatabasePortExposedAgreesWithPairwise(t *testing.T) {
	n := 1500
	if testing.Short() {
		n = 300
	}
	results, differ := 0, 0
	for i, objs := range equivalenceWorlds(n) {
		c := rule.NewContext(context.Background(), rule.Options{}, inventory.NewInventory(objs))
		got, want := checkDatabasePortExposed(c), pairwiseDatabasePortExposed(c)
		results += len(want)
		if g, w := formatResults(got), formatResults(want); g != w {
			t.Errorf("world %d:\ngot:\n%swant:\n%sworld:\n%s", i, g, w, describeWorld(objs))
			if differ++; differ > 3 {
				t.FailNow()
			}
		}
	}
	if results < n/4 {
		t.Errorf("only %d results in %d worlds: the worlds are too tame", results, n)
	}
	t.Logf("%d worlds, %d results", n, results)
}

func formatResults(rs []rule.Result) string {
	var b strings.Builder
	for _, r := range rs {
		sev := "-"
		if r.Severity != nil {
			sev = r.Severity.String()
		}
		fmt.Fprintf(&b, "  %p %s %s %s: %s\n", r.Object, r.Object.Ref(), r.Path, sev, r.Message)
	}
	return b.String()
}

// TestSplitIngressAgreesWithGrants checks the pieces of every class of random worlds,
// with no origin left out and with the class's own namespace left out: every source
// is in a piece whose Grants and Ingress are its own, every origin a piece names holds
// such a source, and the first source of each answer is the first piece's Rep.
func TestSplitIngressAgreesWithGrants(t *testing.T) {
	n := 600
	if testing.Short() {
		n = 120
	}
	for i, objs := range equivalenceWorlds(n) {
		v := buildView(rule.NewContext(context.Background(), rule.Options{}, inventory.NewInventory(objs)))
		a := v.a
		sp := a.NewSplitter()
		key := func(d, e int) string {
			var b strings.Builder
			for _, g := range a.Grants(d, e, false) {
				fmt.Fprintf(&b, "%s|%s|%s;", g.Title(), g.Field, g.Ports)
			}
			return b.String() + " in " + a.Ingress(d, e).String()
		}
		for d := range a.NumClasses() {
			own := a.NewOriginSet()
			if o := a.NamespaceOrigin(a.Namespace(d)); o >= 0 {
				own.Add(o)
			}
			for _, skip := range []reach.OriginSet{{}, own} {
				pieces := sp.SplitIngress(d, skip)
				fail := func(format string, args ...any) {
					t.Fatalf("world %d, class %d (%s), skip %d origins: %s\npieces %+v\nworld:\n%s", i, d, a.Namespace(d), skip.Len(),
						fmt.Sprintf(format, args...), pieces, describeWorld(objs))
				}
				if !slices.IsSortedFunc(pieces, func(x, y reach.SourceSplit) int { return x.Rep - y.Rep }) {
					fail("pieces not in the order of their reps")
				}
				firstOf := map[string]int{} // by answer, the first source that gets it
				for e := range a.NumEndpoints() {
					o := a.Origin(e)
					if skip.Has(o) {
						continue
					}
					k := key(d, e)
					if _, ok := firstOf[k]; !ok {
						firstOf[k] = e
					}
					if !slices.ContainsFunc(pieces, func(p reach.SourceSplit) bool { return p.From.Has(o) && key(d, p.Rep) == k }) {
						fail("source %d (origin %d) is in no piece of its answer %q", e, o, k)
					}
				}
				firstRep := map[string]int{}
				for _, p := range pieces {
					k := key(d, p.Rep)
					if _, ok := firstRep[k]; !ok {
						firstRep[k] = p.Rep
					}
					if p.From.IsEmpty() || !p.From.Has(a.Origin(p.Rep)) {
						fail("piece %d does not hold its rep's origin", p.Rep)
					}
					p.From.Each(func(o int) bool {
						if skip.Has(o) {
							fail("piece %d holds left-out origin %d", p.Rep, o)
						}
						found := false
						for e := range a.NumEndpoints() {
							if a.Origin(e) == o && key(d, e) == k {
								found = true
								break
							}
						}
						if !found {
							fail("piece %d names origin %d, where no source gets its answer %q", p.Rep, o, k)
						}
						return true
					})
				}
				for k, e := range firstOf {
					if firstRep[k] != e {
						fail("answer %q: first source %d, first rep %d", k, e, firstRep[k])
					}
				}
			}
		}
	}
}

// pairwiseDatabasePortExposed is checkDatabasePortExposed as it was before pieces:
// Grants of every pair of a database class and a source endpoint.
func pairwiseDatabasePortExposed(c *rule.Context) []rule.Result {
	v := newView(c)
	sourceLabel := func(s int) string {
		switch {
		case s == v.a.Probe():
			return "any namespace"
		case s >= v.a.NumClasses():
			return "addresses outside the cluster"
		}
		return "namespace " + v.a.Namespace(s)
	}
	var out []rule.Result
	var cs culprits
	for _, w := range v.m.Workloads {
		var dbPorts []reach.ContainerPort
		for _, p := range w.Ports {
			if _, ok := databasePorts[p.Port]; ok && p.Protocol == reach.TCP && !slices.ContainsFunc(dbPorts, func(q reach.ContainerPort) bool { return q.Port == p.Port }) {
				dbPorts = append(dbPorts, p)
			}
		}
		if len(dbPorts) == 0 {
			continue
		}
		ci := v.a.Workload(w)
		open := v.a.Unlimited(ci, false)
		sources := v.a.Sources(ci)
		if sources == nil {
			sources = make([]int, v.a.NumEndpoints())
			for i := range sources {
				sources[i] = i
			}
		}
		for _, p := range dbPorts {
			port := reach.Port(reach.TCP, p.Port)
			if open {
				from := []string{"addresses outside the cluster", "any namespace"}
				for _, ns := range v.namespaces() {
					if ns != w.Namespace {
						from = append(from, "namespace "+ns)
					}
				}
				slices.Sort(from)
				out = append(out, result(w, fmt.Sprintf("%s listens on %s port %d, reachable from outside namespace %q: from %s (no policy limits its ingress)%s",
					workloadName(w), databasePorts[p.Port], p.Port, w.Namespace, listOf(from), v.notEvaluated(v.applying([]*reach.Workload{w}, true), w.Namespace))))
				continue
			}
			var from []string
			byPolicy := map[*culprit][]string{}
			defaultFrom := map[string]bool{}
			for _, s := range sources {
				if s < v.a.NumClasses() && v.a.Namespace(s) == w.Namespace || !v.a.Ingress(ci, s).Has(reach.TCP, p.Port) {
					continue
				}
				for _, g := range v.a.Grants(ci, s, false) {
					if !g.Ports.Has(reach.TCP, p.Port) {
						continue
					}
					if g.Default() {
						nsKey := v.a.Namespace(s)
						if s == v.a.Probe() {
							nsKey = "\x00any"
						}
						if !defaultFrom[nsKey] {
							defaultFrom[nsKey] = true
							if label := sourceLabel(s); !slices.Contains(from, label) {
								from = append(from, label)
							}
						}
						continue
					}
					label := sourceLabel(s)
					cu := cs.get(g)
					cu.addField(g.Field)
					cu.addWorkload(w, port)
					if !slices.Contains(byPolicy[cu], label) {
						byPolicy[cu] = append(byPolicy[cu], label)
					}
				}
			}
			for cu, labels := range byPolicy {
				slices.Sort(labels)
				cu.extra = append(cu.extra, fmt.Sprintf("%s %s port %d from %s", workloadName(w), databasePorts[p.Port], p.Port, listOf(labels)))
			}
			if len(from) == 0 {
				continue
			}
			slices.Sort(from)
			out = append(out, result(w, fmt.Sprintf("%s listens on %s port %d, reachable from outside namespace %q: from %s (no policy limits its ingress)%s",
				workloadName(w), databasePorts[p.Port], p.Port, w.Namespace, listOf(from), v.notEvaluated(v.applying([]*reach.Workload{w}, true), w.Namespace))))
		}
	}
	return append(out, cs.results(v, nil, func(cu *culprit) string {
		slices.Sort(cu.extra)
		return fmt.Sprintf("rule %s lets other namespaces or outside addresses reach a database: %s; allow the port only from the application's own pods",
			cu.rules(), strings.Join(cu.extra, "; "))
	})...)
}

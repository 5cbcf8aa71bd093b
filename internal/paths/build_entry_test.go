package paths

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/moat-dev/moat/internal/catalog" // the evidence rules
	"github.com/moat-dev/moat/internal/inventory"
)

// graphForCase builds the graph of a fixture directory under testdata.
func graphForCase(t *testing.T, dir string, opt Options) (*Graph, error) {
	t.Helper()
	inv := inventory.Load([]string{filepath.Join("testdata", dir)}, inventory.Options{})
	if len(inv.Errors) > 0 {
		t.Fatalf("%s: %v", dir, inv.Errors)
	}
	opt.Now = time.Unix(0, 0)
	return Build(context.Background(), inv, opt)
}

// mustGraphForCase is graphForCase that fails the test on an error.
func mustGraphForCase(t *testing.T, dir string, opt Options) *Graph {
	t.Helper()
	g, err := graphForCase(t, dir, opt)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return g
}

// edgesOfKind are the graph's edges of one kind.
func edgesOfKind(g *Graph, kind EdgeKind) []*Edge {
	var out []*Edge
	for _, e := range g.Edges {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// edgeBetween is the edge of a kind from one node to another, or nil.
func edgeBetween(g *Graph, from, to string, kind EdgeKind) *Edge {
	for _, e := range g.Edges {
		if e.From == from && e.To == to && e.Kind == kind {
			return e
		}
	}
	return nil
}

func fixIDs(e *Edge) []string {
	var ids []string
	for _, f := range e.Fixes {
		ids = append(ids, f.ID)
	}
	return ids
}

const (
	webID   = "workload:shop/Deployment/web"
	adminID = "workload:shop/Deployment/admin"
	agentID = "workload:monitoring/DaemonSet/metrics-agent"
)

func TestExposure(t *testing.T) {
	cases := []struct {
		name string
		dir  string
		// to is the workload the internet reaches, "" for none.
		to string
		// rule is the rule of the evidence ("" for a route), message a part of its text.
		rule, message string
		fix           string
		assumption    string
	}{
		{"a LoadBalancer open to any address exposes what its selector selects", "entry/lb-open", webID,
			"svc/load-balancer-open", "LoadBalancer Service exposes port 80/TCP", "svc/load-balancer-open Service/shop/web", "a LoadBalancer"},
		{"source ranges close the LoadBalancer", "entry/lb-open-fixed", "", "", "", "", ""},
		{"a NodePort Service exposes its workloads", "entry/node-port", webID,
			"svc/node-port", "NodePort Service exposes", "svc/node-port Service/shop/web", "a LoadBalancer"},
		{"a ClusterIP Service exposes nothing", "entry/node-port-fixed", "", "", "", "", ""},
		{"externalIPs expose the Service's workloads", "entry/external-ips", webID,
			"svc/external-ips", "198.51.100.7", "svc/external-ips Service/shop/web", "a LoadBalancer"},
		{"without externalIPs nothing is exposed", "entry/external-ips-fixed", "", "", "", "", ""},
		{"an Ingress exposes its backend Service's workloads", "entry/ingress", webID,
			"", "exposed by Ingress shop/storefront shop.example.com/ (Service web)", "ingress-route shop/storefront", "every Ingress"},
		{"without the Ingress nothing is exposed", "entry/ingress-fixed", "", "", "", "", ""},
		{"an Ingress's default backend exposes its Service's workloads", "entry/ingress-default-backend", webID,
			"", "exposed by Ingress shop/catch-all default backend (Service web)", "ingress-route shop/catch-all", "every Ingress"},
		{"an HTTPRoute on a Gateway exposes its backends", "entry/gateway-route", webID,
			"", "exposed by HTTPRoute shop/storefront shop.example.com/ through Gateway infra/public (Service shop/web)", "gateway-route HTTPRoute shop/storefront", "Gateway"},
		{"without the route nothing is exposed", "entry/gateway-route-fixed", "", "", "", "", ""},
		{"a mesh route (parent a Service) exposes nothing", "entry/mesh-route", "", "", "", "", ""},
		{"hostNetwork is reachable on the node", "entry/host-network", agentID,
			"pod/host-namespaces", "hostNetwork", "pod/host-namespaces DaemonSet/monitoring/metrics-agent", "hostNetwork or hostPort"},
		{"without hostNetwork the agent is not exposed", "entry/host-network-fixed", "", "", "", "", ""},
		{"a hostPort is reachable on the node", "entry/host-port", agentID,
			"pod/host-ports", "hostPort", "pod/host-ports DaemonSet/monitoring/metrics-agent", "hostNetwork or hostPort"},
		{"without the hostPort the agent is not exposed", "entry/host-port-fixed", "", "", "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := mustGraphForCase(t, c.dir, Options{})
			entries := edgesOfKind(g, EdgeEntry)
			if c.to == "" {
				if len(entries) > 0 {
					t.Fatalf("want no entry edge, got %s -> %s (%s)", entries[0].From, entries[0].To, entries[0].Evidence[0].Message)
				}
				return
			}
			if len(entries) != 1 {
				t.Fatalf("want one entry edge, got %d", len(entries))
			}
			e := entries[0]
			if e.From != InternetID || e.To != c.to {
				t.Fatalf("edge %s -> %s, want %s -> %s", e.From, e.To, InternetID, c.to)
			}
			if !slices.ContainsFunc(e.Evidence, func(ev Evidence) bool {
				return ev.RuleID == c.rule && strings.Contains(ev.Message, c.message) && ev.Source != nil && ev.Source.Line > 0
			}) {
				t.Errorf("no evidence of rule %q with %q and a source line: %+v", c.rule, c.message, e.Evidence)
			}
			if ids := fixIDs(e); !slices.Equal(ids, []string{c.fix}) {
				t.Errorf("fixes %q, want %q", ids, c.fix)
			}
			if e.Fixes[0].Remediation == "" {
				t.Error("the fix has no remediation")
			}
			if !slices.ContainsFunc(g.Assumptions, func(a Assumption) bool { return strings.Contains(a.Text, c.assumption) }) {
				t.Errorf("no assumption mentions %q: %+v", c.assumption, g.Assumptions)
			}
		})
	}
}

// A workload exposed in two ways stays exposed until both are closed: its one edge
// carries the evidence of both and one fix that closes both.
func TestExposureTwoWays(t *testing.T) {
	g := mustGraphForCase(t, "entry/two-ways", Options{})
	e := edgeBetween(g, InternetID, webID, EdgeEntry)
	if e == nil {
		t.Fatal("web is not exposed")
	}
	if len(e.Evidence) != 2 || e.Evidence[0].RuleID != "svc/node-port" || !strings.HasPrefix(e.Evidence[1].Message, "exposed by Ingress") {
		t.Errorf("evidence: %+v", e.Evidence)
	}
	if len(e.Fixes) != 1 {
		t.Fatalf("fixes %q, want one that closes both ways", fixIDs(e))
	}
	f := e.Fixes[0]
	for _, part := range []string{"svc/node-port Service/shop/web", "ingress-route shop/storefront"} {
		if !strings.Contains(f.ID, part) || !strings.Contains(f.Remediation, part) {
			t.Errorf("fix %q (%s) does not name %q", f.ID, f.Remediation, part)
		}
	}
	if removedSet(map[string]bool{"ingress-route shop/storefront": true}).cuts(e) {
		t.Error("removing the Ingress alone cuts the edge; the NodePort still exposes web")
	}
}

func TestBreach(t *testing.T) {
	cases := []struct {
		name     string
		breached []string
		// want are the workloads assumed breached; err a part of the error.
		want []string
		err  string
	}{
		{"a workload named exactly", []string{"shop/Deployment/web"}, []string{webID}, ""},
		{"the kind in any case", []string{"shop/deployment/admin"}, []string{adminID}, ""},
		{"two workloads", []string{"shop/Deployment/web", "shop/Deployment/admin"}, []string{adminID, webID}, ""},
		{"an unknown workload is an error naming it", []string{"shop/Deployment/web", "shop/Deployment/cart"}, nil, "shop/Deployment/cart: no such workload"},
		{"a workload of another namespace is unknown", []string{"default/Deployment/web"}, nil, "default/Deployment/web"},
		{"a name that is not NS/KIND/NAME", []string{"web"}, nil, `"web": want NAMESPACE/KIND/NAME`},
		{"no assumed breach", nil, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := graphForCase(t, "entry/breach", Options{Breached: c.breached})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one with %q", err, c.err)
				}
				if strings.Contains(err.Error(), "admin") {
					t.Errorf("the error lists other workloads: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range edgesOfKind(g, EdgeEntry) {
				n := g.Nodes[e.From]
				if n == nil || n.Kind != KindEntry || !strings.HasPrefix(e.From, "entry:breach:") {
					t.Errorf("entry edge from %q", e.From)
				}
				if len(e.Fixes) != 0 || len(e.Evidence) != 1 || e.Evidence[0].Message != breachEvidence {
					t.Errorf("edge %s -> %s: evidence %+v, fixes %q", e.From, e.To, e.Evidence, fixIDs(e))
				}
				if e.From != BreachID(strings.TrimPrefix(e.To, "workload:")) {
					t.Errorf("edge %s -> %s: the entry is not the workload's", e.From, e.To)
				}
				got = append(got, e.To)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("breached %q, want %q", got, c.want)
			}
			assumed := slices.ContainsFunc(g.Assumptions, func(a Assumption) bool { return a.Flag == "--assume-breach" })
			if assumed != (len(c.want) > 0) {
				t.Errorf("assumption stated: %v, want %v", assumed, len(c.want) > 0)
			}
		})
	}
}

// FuzzEntryAndNetwork builds the graph of arbitrary manifests, seeded with the
// fixtures of both layers: whatever the input, the entry and network edges join
// nodes of the graph, each entry from the internet reaches a workload and carries
// one fix, and each edge into a workload from the network carries that workload's.
func FuzzEntryAndNetwork(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/entry/*/*.yaml")
	more, _ := filepath.Glob("testdata/network/*/*.yaml")
	for _, p := range append(seeds, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, manifest []byte) {
		inv := inventory.Load([]string{"-"}, inventory.Options{Stdin: bytes.NewReader(manifest)})
		g, err := Build(context.Background(), inv, Options{Now: time.Unix(0, 0)})
		if err != nil {
			return // an input the evidence rules reject: an error, not a panic
		}
		for _, e := range g.Edges {
			from, to := g.Nodes[e.From], g.Nodes[e.To]
			if from == nil || to == nil {
				t.Fatalf("edge %s -> %s: a node is missing", e.From, e.To)
			}
			switch {
			case e.Kind == EdgeEntry && e.From == InternetID:
				if to.Kind != KindWorkload || len(e.Fixes) != 1 || len(e.Evidence) == 0 {
					t.Fatalf("entry edge to %s (%s): fixes %q, evidence %d", e.To, to.Kind, fixIDs(e), len(e.Evidence))
				}
			case e.Kind == EdgeNetwork && to.Kind == KindWorkload:
				if e.From == e.To || len(e.Fixes) != 1 || !strings.HasPrefix(e.Fixes[0].ID, "netpol-isolate ") ||
					e.Fixes[0].Resource == nil || WorkloadID(*e.Fixes[0].Resource) != e.To {
					t.Fatalf("network edge %s -> %s: fixes %q", e.From, e.To, fixIDs(e))
				}
			}
		}
	})
}

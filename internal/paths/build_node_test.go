package paths

import (
	"slices"
	"testing"
)

func nodeHolds(node, what string) layerEnds { return layerEnds{node, what, EdgeNodeAccess} }

func TestNodeAccessEdges(t *testing.T) {
	anyNode, worker2 := NodeHostID("*"), NodeHostID("worker-2")
	creds := PowerID(PowerNodeCredentials)
	apiSA, agentSA, runnerSA := ServiceAccountID("shop", "api"), ServiceAccountID("logging", "log-agent"), ServiceAccountID("batch", "runner")
	db, sink := SecretID("shop", "db"), SecretID("logging", "sink-token")
	runLayerCases(t, []layerCase{
		{name: "any node holds every workload's token and secrets", dir: "node/escape",
			want: []layerWant{
				{layerEnds: nodeHolds(anyNode, creds), says: []string{"Node authorizer"}},
				// the pod does not mount the token, but the kubelet may request it
				{layerEnds: nodeHolds(anyNode, apiSA), says: []string{"Deployment shop/api may be scheduled on any node"}},
				{layerEnds: nodeHolds(anyNode, db), says: []string{"mounted as volume \"db\""}},
				{layerEnds: nodeHolds(anyNode, agentSA)},
				{layerEnds: nodeHolds(anyNode, sink), says: []string{"env SINK_TOKEN"}},
				{layerEnds: nodeHolds(anyNode, runnerSA)},
			}},
		{name: "isolated nodes hold only the DaemonSets'", dir: "node/escape", opt: Options{IsolatedNodes: true},
			want: []layerWant{
				{layerEnds: nodeHolds(anyNode, creds)},
				{layerEnds: nodeHolds(anyNode, agentSA), says: []string{"runs on every node"}},
				{layerEnds: nodeHolds(anyNode, sink)},
			},
			absent: []layerEnds{nodeHolds(anyNode, apiSA), nodeHolds(anyNode, db), nodeHolds(anyNode, runnerSA)}},
		{name: "no escape, no node", dir: "node/escape-fixed",
			absent: []layerEnds{nodeHolds(anyNode, creds), nodeHolds(anyNode, apiSA), nodeHolds(anyNode, db)}},
		{name: "a named node is a node, and by default any pod may run on it", dir: "node/pinned-escape",
			want: []layerWant{
				{layerEnds: nodeHolds(worker2, anyNode), says: []string{"worker-2 is a node"}},
				{layerEnds: nodeHolds(anyNode, apiSA)},
				{layerEnds: nodeHolds(anyNode, runnerSA)},
			},
			absent: []layerEnds{nodeHolds(worker2, runnerSA)}},
		{name: "an isolated named node holds the pods pinned to it", dir: "node/pinned-escape", opt: Options{IsolatedNodes: true},
			want: []layerWant{
				{layerEnds: nodeHolds(worker2, anyNode)},
				{layerEnds: nodeHolds(worker2, runnerSA), says: []string{"Pod batch/batch-1 is pinned to this node by spec.nodeName"}},
				{layerEnds: nodeHolds(anyNode, agentSA)},
			},
			absent: []layerEnds{nodeHolds(anyNode, apiSA), nodeHolds(anyNode, runnerSA), nodeHolds(anyNode, db)}},
	})
}

// TestNodeAccessHub: the node layer adds one edge from "node:*" to each thing held,
// none per pair of node and workload, and none of them has a fix.
func TestNodeAccessHub(t *testing.T) {
	g := layerFixture(t, "node/escape", Options{})
	var from []string
	for _, e := range g.Edges {
		if e.Kind != EdgeNodeAccess {
			continue
		}
		from = append(from, e.From)
		if len(e.Fixes) > 0 {
			t.Errorf("%s → %s has fixes %v: a node's access is what it is", e.From, e.To, e.Fixes)
		}
	}
	// the credentials, four service accounts (shop/default of the escaping web
	// among them) and two Secrets
	if len(from) != 7 || slices.ContainsFunc(from, func(f string) bool { return f != NodeHostID("*") }) {
		t.Errorf("node-access edges from %q, want 7 from node:*", from)
	}
}

// TestNodeAssumption: the default assumption names the flag that tightens it.
func TestNodeAssumption(t *testing.T) {
	for _, tc := range []struct {
		opt      Options
		flag     string
		isolated bool
	}{{Options{}, "--isolated-nodes", false}, {Options{IsolatedNodes: true}, "", true}} {
		g := layerFixture(t, "node/escape", tc.opt)
		i := slices.IndexFunc(g.Assumptions, func(a Assumption) bool {
			return a.Text == assumeAnyNode || a.Text == assumeIsolatedNodes
		})
		if i < 0 {
			t.Fatalf("IsolatedNodes %v: no node assumption in %v", tc.isolated, g.Assumptions)
		}
		if a := g.Assumptions[i]; a.Flag != tc.flag || (a.Text == assumeIsolatedNodes) != tc.isolated {
			t.Errorf("IsolatedNodes %v: assumption %+v", tc.isolated, a)
		}
	}
}

// TestNodeEscapeReachesOtherWorkloadsSecret: through a node, and not through the
// network, an escaping workload reaches another workload's Secret; with IsolatedNodes
// it does not.
func TestNodeEscapeReachesOtherWorkloadsSecret(t *testing.T) {
	for _, tc := range []struct {
		opt  Options
		want bool
	}{{Options{}, true}, {Options{IsolatedNodes: true}, false}} {
		g := layerFixture(t, "node/escape", tc.opt)
		if got := reachesAvoiding(g, "workload:shop/Deployment/web", SecretID("shop", "db"), EdgeNetwork); got != tc.want {
			t.Errorf("IsolatedNodes %v: web reaches secret:shop/db %v, want %v", tc.opt.IsolatedNodes, got, tc.want)
		}
	}
}

// reachesAvoiding says whether from reaches to over edges not of the kind avoided.
func reachesAvoiding(g *Graph, from, to string, avoid EdgeKind) bool {
	seen := map[string]bool{from: true}
	for queue := []string{from}; len(queue) > 0; queue = queue[1:] {
		for _, e := range g.out[queue[0]] {
			if e.Kind != avoid && !seen[e.To] {
				seen[e.To] = true
				queue = append(queue, e.To)
			}
		}
	}
	return seen[to]
}

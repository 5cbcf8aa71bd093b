package paths

import (
	"cmp"
	"slices"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
)

// NodeKind is what a node of the graph stands for.
type NodeKind string

// The kinds of node.
const (
	KindEntry          NodeKind = "entry"          // the internet, or an assumed breach
	KindWorkload       NodeKind = "workload"       // a pod controller or pod
	KindServiceAccount NodeKind = "serviceaccount" // a service account's token
	KindSecret         NodeKind = "secret"         // a Secret's data
	KindNode           NodeKind = "node"           // a node's host (its kubelet credentials, its pods)
	KindPower          NodeKind = "power"          // an RBAC power: cluster-admin, read every Secret, ...
)

// EdgeKind is the layer an edge comes from.
type EdgeKind string

// The kinds of edge.
const (
	EdgeEntry          EdgeKind = "entry"           // exposed to the internet, or assumed breached
	EdgeNetwork        EdgeKind = "network"         // the reachability engine allows a port the target serves
	EdgeEscape         EdgeKind = "escape"          // a container escape to the node
	EdgeNodeAccess     EdgeKind = "node-access"     // what a node's host holds
	EdgeServiceAccount EdgeKind = "service-account" // a workload's token
	EdgeRBAC           EdgeKind = "rbac"            // an RBAC power a subject holds
	EdgeSecret         EdgeKind = "secret"          // a secret a workload mounts or reads
)

// Node is a node of the graph.
type Node struct {
	// ID is unique: "workload:shop/Deployment/api", "secret:shop/db", "power:cluster-admin".
	ID        string   `json:"id"`
	Kind      NodeKind `json:"kind"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name"`
	// Resource is the Kubernetes object the node is, when it is one.
	Resource *finding.Resource `json:"resource,omitempty"`
	// Target says the node is what an attacker is after: a secret, a node, cluster-admin.
	Target bool `json:"target,omitempty"`
}

// Label names a node for people: "Deployment shop/api", "Secret shop/db", "cluster-admin".
func (n *Node) Label() string {
	switch n.Kind {
	case KindWorkload:
		if n.Resource != nil {
			return n.Resource.Kind + " " + n.Namespace + "/" + n.Resource.Name
		}
	case KindServiceAccount:
		return "ServiceAccount " + n.Namespace + "/" + n.Name
	case KindSecret:
		return "Secret " + n.Namespace + "/" + n.Name
	case KindNode:
		if n.Name == "any node" {
			return n.Name
		}
		return "node " + n.Name
	}
	return n.Name
}

// Evidence is what makes an edge real: a finding (its rule, resource, field and
// source), or a statement of the analysis that found it.
type Evidence struct {
	RuleID   string            `json:"ruleID,omitempty"`
	Message  string            `json:"message"`
	Resource *finding.Resource `json:"resource,omitempty"`
	Path     string            `json:"path,omitempty"`
	Source   *finding.Source   `json:"source,omitempty"`
}

// Fix is a change that removes edges: the remediation of the rule behind them, on one
// object. Edges that one change removes share a Fix ID.
type Fix struct {
	// ID is unique per change: "pod/privileged-container shop/Deployment/api".
	ID          string            `json:"id"`
	RuleID      string            `json:"ruleID,omitempty"`
	Resource    *finding.Resource `json:"resource,omitempty"`
	Remediation string            `json:"remediation"`
}

// Edge is a step an attacker can take, with why and how to remove it.
type Edge struct {
	From     string     `json:"from"`
	To       string     `json:"to"`
	Kind     EdgeKind   `json:"kind"`
	Evidence []Evidence `json:"evidence"`
	// Fixes are the changes any one of which removes the edge; an edge without fixes
	// is a consequence of what a node is (a node's host holds its pods' tokens).
	Fixes []*Fix `json:"fixes,omitempty"`
}

// Assumption is something the graph takes as true that Moat cannot see, with the flag
// that tightens it where there is one.
type Assumption struct {
	Text string `json:"text"`
	Flag string `json:"flag,omitempty"`
}

// Graph is the joined graph of one inventory.
type Graph struct {
	Nodes       map[string]*Node `json:"-"`
	Edges       []*Edge          `json:"-"`
	Assumptions []Assumption     `json:"assumptions"`

	out   map[string][]*Edge
	fixes map[string]*Fix
}

func newGraph() *Graph {
	return &Graph{Nodes: map[string]*Node{}, out: map[string][]*Edge{}, fixes: map[string]*Fix{}}
}

// node adds n unless a node of its ID exists, and returns the graph's node.
func (g *Graph) node(n Node) *Node {
	if have, ok := g.Nodes[n.ID]; ok {
		have.Target = have.Target || n.Target
		return have
	}
	p := &n
	g.Nodes[n.ID] = p
	return p
}

// fix returns the graph's Fix of an ID, adding f the first time.
func (g *Graph) fix(f Fix) *Fix {
	if have, ok := g.fixes[f.ID]; ok {
		return have
	}
	p := &f
	g.fixes[f.ID] = p
	return p
}

// edge adds an edge, or merges evidence and fixes into the edge of the same ends and kind.
func (g *Graph) edge(from, to string, kind EdgeKind, ev Evidence, fixes ...*Fix) *Edge {
	for _, e := range g.out[from] {
		if e.To == to && e.Kind == kind {
			if !slices.ContainsFunc(e.Evidence, func(x Evidence) bool { return x.Message == ev.Message && x.RuleID == ev.RuleID }) {
				e.Evidence = append(e.Evidence, ev)
			}
			for _, f := range fixes {
				if !slices.Contains(e.Fixes, f) {
					e.Fixes = append(e.Fixes, f)
				}
			}
			return e
		}
	}
	e := &Edge{From: from, To: to, Kind: kind, Evidence: []Evidence{ev}, Fixes: fixes}
	g.Edges = append(g.Edges, e)
	g.out[from] = append(g.out[from], e)
	return e
}

// sortEdges orders each node's edges so that searches are deterministic.
func (g *Graph) sortEdges() {
	cmpEdge := func(a, b *Edge) int {
		return cmp.Or(strings.Compare(a.From, b.From), strings.Compare(a.To, b.To), strings.Compare(string(a.Kind), string(b.Kind)))
	}
	slices.SortFunc(g.Edges, cmpEdge)
	for _, es := range g.out {
		slices.SortFunc(es, cmpEdge)
	}
}

// NodeIDs lists the node IDs in order.
func (g *Graph) NodeIDs() []string {
	ids := make([]string, 0, len(g.Nodes))
	for id := range g.Nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

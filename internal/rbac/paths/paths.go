// Package paths finds privilege-escalation chains in an RBAC policy: from each subject
// (user, group, service account) to one of two goals, cluster-admin equivalence or
// reading every Secret of the cluster, where each step is a primitive of Moat's
// catalogue (rbac/create-workloads, rbac/impersonate, ...).
//
// The graph's nodes are subjects and "can act as any service account of namespace N"
// states; its edges are primitives a node holds, found with the same rule matching the
// authorizer uses (package authz). Paths are shortest paths, found by one backward
// breadth-first search per goal, so the cost is linear in the size of the graph.
//
// What the graph assumes, and why:
//   - creating a pod (directly or through a controller), exec, attach or port-forward into
//     one, and creating a service-account-token Secret one can read all lead to "any
//     service account of the namespace": a pod may run as any of them, and Moat does not
//     know which pods run where;
//   - nodes/proxy and writing mutating webhooks lead to every namespace's service accounts;
//   - impersonating the group system:masters, binding cluster-admin with create on
//     ClusterRoleBindings, escalate with update on a ClusterRole bound to oneself, and
//     approving one's own client certificate request reach cluster-admin directly.
//
// Like every analyzer it is pure: no I/O.
package paths

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rbac"
	"github.com/moat-dev/moat/internal/rbac/authz"
)

// Goals.
const (
	GoalClusterAdmin = "cluster-admin"
	GoalReadSecrets  = "read-all-secrets"
)

// Node is a subject or a state.
type Node struct {
	// Kind is User, Group, ServiceAccount, AnyServiceAccount (Namespace set, or "*" for
	// every namespace), AnyUser, or Goal.
	Kind      string `json:"kind"`
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// String names a node: "User alice", "ServiceAccount ci/deployer", "any service account
// in ci", "cluster-admin".
func (n Node) String() string {
	switch n.Kind {
	case rbacv1.ServiceAccountKind:
		return "ServiceAccount " + n.Namespace + "/" + n.Name
	case kindAnySA:
		if n.Namespace == "*" {
			return "any service account"
		}
		return "any service account in " + n.Namespace
	case kindAnyUser:
		return "any user"
	case kindGoal:
		return n.Name
	}
	return n.Kind + " " + n.Name
}

const (
	kindAnySA   = "AnyServiceAccount"
	kindAnyUser = "AnyUser"
	kindGoal    = "Goal"
)

// Step is one edge of a path.
type Step struct {
	From      Node       `json:"from"`
	To        Node       `json:"to"`
	Primitive string     `json:"primitive"` // the catalogue rule ID
	How       string     `json:"how"`
	Via       *authz.Via `json:"via,omitempty"`
}

// Path is a shortest chain from a subject to a goal.
type Path struct {
	Subject Node   `json:"subject"`
	Goal    string `json:"goal"`
	Steps   []Step `json:"steps"`
}

// Input is what the graph is built from.
type Input struct {
	Policy *authz.Policy
	// ServiceAccounts are "NS/NAME" (ServiceAccount objects and the accounts workloads
	// run as); the default one of every namespace is added.
	ServiceAccounts []string
	// TokenSecrets maps "NS" to the service accounts whose legacy token Secrets are there.
	TokenSecrets map[string][]string
	// Namespaces known besides those of the policy and the service accounts.
	Namespaces []string
}

// FromInventory gathers the input from an inventory.
func FromInventory(inv *inventory.Inventory) Input {
	in := Input{Policy: rbac.PolicyOf(inv), TokenSecrets: map[string][]string{}, Namespaces: inv.Namespaces()}
	for _, o := range inv.Kind("ServiceAccount") {
		if o.GVK.Group == "" {
			in.ServiceAccounts = append(in.ServiceAccounts, o.EffectiveNamespace()+"/"+o.Name())
		}
	}
	// Workloads name service accounts that exist where they run. Every object is asked,
	// not those of podspec.Kinds: the custom resources a config file names are
	// workloads too.
	for _, o := range inv.Objects {
		if pod, ok := podspec.Of(o); ok && pod.Spec.ServiceAccountName != "" {
			in.ServiceAccounts = append(in.ServiceAccounts, o.EffectiveNamespace()+"/"+pod.Spec.ServiceAccountName)
		}
	}
	for _, o := range inv.Kind("Secret") {
		sa := o.Meta.GetAnnotations()["kubernetes.io/service-account.name"]
		if o.GVK.Group == "" && sa != "" && secretType(o) == string(corev1.SecretTypeServiceAccountToken) {
			ns := o.EffectiveNamespace()
			in.TokenSecrets[ns] = append(in.TokenSecrets[ns], sa)
		}
	}
	return in
}

func secretType(o *inventory.Object) string {
	switch s := o.Obj.(type) {
	case *corev1.Secret:
		return string(s.Type)
	case *unstructured.Unstructured:
		t, _, _ := unstructured.NestedString(s.Object, "type")
		return t
	}
	return ""
}

// graph is the escalation graph.
type graph struct {
	nodes []Node
	index map[Node]int
	out   [][]edge // by node
}

type edge struct {
	to   int
	step Step
}

func (g *graph) node(n Node) int {
	if i, ok := g.index[n]; ok {
		return i
	}
	g.index[n] = len(g.nodes)
	g.nodes = append(g.nodes, n)
	g.out = append(g.out, nil)
	return len(g.nodes) - 1
}

func (g *graph) add(from, to Node, primitive, how string, b *authz.Binding) {
	s := Step{From: from, To: to, Primitive: primitive, How: how}
	if b != nil {
		v := authz.Grant{Binding: b}.Via()
		s.Via = &v
	}
	f, t := g.node(from), g.node(to)
	for _, e := range g.out[f] {
		if e.to == t {
			return
		}
	}
	g.out[f] = append(g.out[f], edge{to: t, step: s})
}

// Find returns the shortest path from every subject to each goal it can reach, sorted by
// goal, length and subject.
func Find(in Input) []Path {
	g, subjects := build(in)
	var out []Path
	admins := map[int]bool{}
	for _, goal := range []string{GoalClusterAdmin, GoalReadSecrets} {
		gi, ok := g.index[Node{Kind: kindGoal, Name: goal}]
		if !ok {
			continue
		}
		next := backward(g, gi)
		for _, s := range subjects {
			i := g.index[s]
			if _, ok := next[i]; !ok || i == gi {
				continue
			}
			if goal == GoalClusterAdmin {
				admins[i] = true
			} else if admins[i] {
				continue // cluster-admin reads every Secret: said once, as cluster-admin
			}
			p := Path{Subject: s, Goal: goal}
			for cur := i; cur != gi; {
				e := next[cur]
				p.Steps = append(p.Steps, e.step)
				cur = e.to
			}
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Goal != b.Goal {
			return a.Goal < b.Goal
		}
		if len(a.Steps) != len(b.Steps) {
			return len(a.Steps) < len(b.Steps)
		}
		return a.Subject.String() < b.Subject.String()
	})
	return out
}

// backward finds, for every node that reaches goal, its first edge on a shortest path.
func backward(g *graph, goal int) map[int]edge {
	in := make([][]int, len(g.nodes))
	for f, es := range g.out {
		for _, e := range es {
			in[e.to] = append(in[e.to], f)
		}
	}
	next := map[int]edge{goal: {}}
	queue := []int{goal}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, f := range in[cur] {
			if _, seen := next[f]; seen {
				continue
			}
			for _, e := range g.out[f] {
				if e.to == cur {
					next[f] = e
					break
				}
			}
			queue = append(queue, f)
		}
	}
	return next
}

// Graph returns the union of the paths' edges, for drawing.
func Graph(ps []Path) (nodes []Node, steps []Step) {
	seenN := map[Node]bool{}
	seenE := map[[2]Node]bool{}
	for _, p := range ps {
		for _, s := range p.Steps {
			for _, n := range []Node{s.From, s.To} {
				if !seenN[n] {
					seenN[n] = true
					nodes = append(nodes, n)
				}
			}
			if k := [2]Node{s.From, s.To}; !seenE[k] {
				seenE[k] = true
				steps = append(steps, s)
			}
		}
	}
	return nodes, steps
}

// Describe writes a path as one line: "ServiceAccount ci/deployer → (create pods in ci) → ...".
func (p Path) Describe() string {
	var b strings.Builder
	b.WriteString(p.Subject.String())
	for _, s := range p.Steps {
		how := s.How
		if s.Via != nil {
			how += " via " + s.Via.Binding
		}
		b.WriteString(" → [" + how + "] → " + s.To.String())
	}
	return b.String()
}

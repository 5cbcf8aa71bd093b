package paths

// The node-access layer: what a node's host holds once an attacker is root on it. The
// kubelet's credentials are a power of their own: the Node authorizer lets them read
// the Secrets, ConfigMaps and service account tokens of the pods bound to the node.
// Which pods those are is what Moat cannot see. By default any pod may be scheduled
// on any node, so a node reaches every workload's service account (whether the pod
// mounts its token or not: the kubelet may request one) and every Secret a workload
// names. With IsolatedNodes a node reaches only what runs on every node (DaemonSets)
// and, for a node named by spec.nodeName, the pods pinned to it.
//
// The graph stays linear: "node:*" (any node) has one edge to each service account
// and Secret it holds, and a named node one edge to "node:*" (it is a node too) and
// one to each thing its own pods hold. These edges have no fixes: they are what a
// node is.

import (
	"fmt"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
)

// PowerNodeCredentials is the power of a kubelet's credentials.
const PowerNodeCredentials = "node-credentials"

// The assumptions of the layer, one of which is stated.
const (
	assumeAnyNode       = "any pod may be scheduled on any node: a node escape reaches every workload's token and mounted secrets"
	assumeIsolatedNodes = "nodes are isolated: a node escape reaches the DaemonSets' tokens and secrets, and those of the pods pinned to that node by spec.nodeName"
)

// held is what a node holds for one service account or Secret: the workloads whose
// pods name it, the first with the field that names it.
type held struct {
	id    string
	first *inventory.Object
	path  string
	what  string // "runs as ServiceAccount shop/api", "names Secret shop/db"
	more  int
}

func (b *builder) nodeAccess() error {
	var hosts []string
	for _, id := range b.g.NodeIDs() {
		if b.g.Nodes[id].Kind == KindNode {
			hosts = append(hosts, id)
		}
	}
	if len(hosts) == 0 {
		return nil // no escape: nothing is on a node an attacker holds
	}
	anyNode := b.hostNode("")
	creds := b.g.node(Node{ID: PowerID(PowerNodeCredentials), Kind: KindPower, Name: "the kubelet's credentials"}).ID
	b.g.edge(anyNode, creds, EdgeNodeAccess, Evidence{Message: "root on a node holds its kubelet's credentials; the Node " +
		"authorizer lets them read the Secrets, ConfigMaps and service account tokens of the pods bound to the node"})
	for _, h := range hosts {
		if h != anyNode {
			b.g.edge(h, anyNode, EdgeNodeAccess, Evidence{Message: b.g.Nodes[h].Name + " is a node: it holds what every node holds"})
		}
	}
	if b.opt.IsolatedNodes {
		b.assume(Assumption{Text: assumeIsolatedNodes})
	} else {
		b.assume(Assumption{Text: assumeAnyNode, Flag: "--isolated-nodes"})
	}

	holds := map[string][]*held{} // node → what it holds, in order
	index := map[[2]string]*held{}
	hold := func(node, id string, o *inventory.Object, path, what string) {
		if h := index[[2]string{node, id}]; h != nil {
			h.more++
			return
		}
		h := &held{id: id, first: o, path: path, what: what}
		index[[2]string{node, id}] = h
		holds[node] = append(holds[node], h)
	}
	for _, o := range b.workloadObjects() {
		pod, _ := podspec.Of(o)
		node, ok := b.nodeHolding(o, pod)
		if !ok {
			continue
		}
		ns := o.EffectiveNamespace()
		sa, field := serviceAccountOf(pod)
		hold(node, b.serviceAccountNode(ns, sa), o, field, "runs as ServiceAccount "+ns+"/"+sa+", whose token the kubelet may request")
		for _, ref := range secretRefs(pod) {
			hold(node, b.secretNode(ns, ref.name), o, ref.path, "names Secret "+ns+"/"+ref.name+" ("+ref.how+"), which the kubelet may read")
		}
	}
	for _, node := range append([]string{anyNode}, hosts...) {
		for _, h := range holds[node] {
			b.g.edge(node, h.id, EdgeNodeAccess, b.heldEvidence(node, h))
		}
	}
	return nil
}

// nodeHolding is the node whose host holds a workload's token and secrets: any node
// unless nodes are isolated; then any node for a DaemonSet, the named node for a pod
// pinned to one an escape reaches, and none for the rest.
func (b *builder) nodeHolding(o *inventory.Object, pod podspec.Pod) (string, bool) {
	if !b.opt.IsolatedNodes || o.Kind() == "DaemonSet" { // apps, and extensions and OpenKruise's alike

		return NodeHostID("*"), true
	}
	if pod.Spec.NodeName == "" {
		return "", false
	}
	id := NodeHostID(pod.Spec.NodeName)
	_, ok := b.g.Nodes[id]
	return id, ok
}

// heldEvidence says why a node holds a service account or Secret.
func (b *builder) heldEvidence(node string, h *held) Evidence {
	r := h.first.Ref()
	who := r.Kind + " " + h.first.EffectiveNamespace() + "/" + r.Name
	if h.more > 0 {
		who += fmt.Sprintf(" (and %d more)", h.more)
	}
	var where string
	switch {
	case node != NodeHostID("*"):
		where = "is pinned to this node by spec.nodeName"
	case b.opt.IsolatedNodes:
		where = "runs on every node"
	default:
		where = "may be scheduled on any node"
	}
	return Evidence{Message: who + " " + where + " and " + h.what, Resource: &r, Path: h.path, Source: h.first.SourceAt(h.path)}
}

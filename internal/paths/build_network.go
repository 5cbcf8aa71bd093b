// The network layer: a workload reaches another when the reachability engine
// (netpol/reach) lets it open a connection on a port the other serves: one of the
// container ports of its pod template, or, for a workload that declares none, any
// port the policies allow. The evidence names the ports and what allows them on the
// target's side (no NetworkPolicy selects it, or the policies whose rules allow the
// connection); the fix is on the target: a NetworkPolicy that lets in only the clients
// it needs. Every edge into a workload has that one fix, so the edges into it stand or
// fall together.
//
// Segments. Where no policy isolates, every workload reaches every other: the 10,000-
// object generator (bench/gen) has 2,000 workloads and 2.1 million such pairs, too
// many edges to hold or search. The engine works on classes of pods that policies
// treat alike; the layer groups the server classes by the set of client classes that
// may reach them (39 groups there) and joins a group with many pairs through a node of
// its own, a network segment: each client → segment, segment → each server, with the
// server's fix on the second edge. A path through a segment is the same connection as
// a direct edge, one hop longer. There 6,073 edges stand for the 2.1 million pairs, and
// the layer takes 0.1 s (BenchmarkNetworkLayer; the engine's own enumeration of the
// pairs takes 0.3 s). Groups of at most maxDirectPairs pairs (a small application)
// keep direct workload → workload edges. TestNetworkMatchesEngine checks that the
// edges join exactly the pairs the engine's enumeration lists.
//
// Workloads on the host network are not in the engine's model (NetworkPolicy does not
// apply to them) and get no network edges; the entry layer exposes them on their node.
package paths

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/moat-dev/moat/internal/netpol/reach"
)

// KindSegment is a network segment: a set of workloads (its clients, the edges into
// it) that may each connect to every workload of another set (its servers, the edges
// out of it).
const KindSegment NodeKind = "segment"

// maxDirectPairs is the most client → server pairs a group joins with direct edges;
// a larger one goes through a segment node.
const maxDirectPairs = 64

// maxExplained bounds the client classes whose grants name the policies that let a
// segment's clients into a server: the evidence names those of the first few.
const maxExplained = 8

// assumeNetwork is what the network layer takes as true.
var assumeNetwork = Assumption{
	Text: "pods reach each other as the network policies of the inputs allow, and nothing else (a service mesh, a firewall) stands between them; a workload that declares no container port may serve on any port",
}

func (b *builder) network() error {
	a := reach.Analyze(reach.FromInventory(b.inv), reach.Options{})
	n := newNetLayer(b, a)
	clients, err := n.clients()
	if err != nil {
		return err
	}
	before := len(b.g.Edges)
	for i, g := range n.groups(clients) {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		n.join(i+1, g)
	}
	if len(b.g.Edges) > before {
		b.assume(assumeNetwork)
	}
	return nil
}

// netLayer holds what the network layer knows of the engine's classes.
type netLayer struct {
	b  *builder
	a  *reach.Analysis
	nc int
	// members are the workloads of each class, in the model's order.
	members [][]*reach.Workload
	// served are the ports each class's pods declare; declares says it declares any.
	served   []reach.PortSet
	declares []bool
	// unlimitedEg and unlimitedIn: no policy limits the class in that direction.
	unlimitedEg, unlimitedIn []bool
}

func newNetLayer(b *builder, a *reach.Analysis) *netLayer {
	nc := a.NumClasses()
	n := &netLayer{b: b, a: a, nc: nc, members: make([][]*reach.Workload, nc), served: make([]reach.PortSet, nc),
		declares: make([]bool, nc), unlimitedEg: make([]bool, nc), unlimitedIn: make([]bool, nc)}
	for _, w := range a.Model.Workloads {
		if ci := a.Workload(w); ci >= 0 {
			n.members[ci] = append(n.members[ci], w)
		}
	}
	for ci := range nc {
		n.unlimitedEg[ci], n.unlimitedIn[ci] = a.Unlimited(ci, true), a.Unlimited(ci, false)
		if len(n.members[ci]) == 0 {
			continue
		}
		// A class's pods declare the same ports: they are part of what makes it a class.
		for _, p := range n.members[ci][0].Ports {
			n.served[ci] = n.served[ci].Union(reach.Port(p.Protocol, p.Port))
			n.declares[ci] = true
		}
	}
	return n
}

// classSet is a set of classes.
type classSet []uint64

func (s classSet) add(i int) { s[i>>6] |= 1 << (uint(i) & 63) }

func (s classSet) empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

func (s classSet) each(fn func(int)) {
	for i, w := range s {
		for ; w != 0; w &= w - 1 {
			fn(i*64 + bits.TrailingZeros64(w))
		}
	}
}

// key is the set as a map key.
func (s classSet) key() string {
	b := make([]byte, 0, 8*len(s))
	for _, w := range s {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return string(b)
}

// reachable is what one server class may be reached by: its client classes, and the
// ports any of them may connect on.
type reachable struct {
	clients classSet
	ports   reach.PortSet
}

// clients computes, for each class, the classes that may connect to it on a port it
// serves. Where neither side is limited by any policy the answer is known without
// asking the engine: the clients whose egress nothing limits are joined as one set
// to every server whose ingress nothing limits. Elsewhere the engine's Ports decides,
// over the candidates its Sources names when the server's ingress is simply isolated.
func (n *netLayer) clients() ([]reachable, error) {
	words := (n.nc + 63) / 64
	free := make(classSet, words) // classes no policy limits the egress of
	var live, limited []int       // classes of workloads; those whose egress is limited
	for ci := range n.nc {
		if len(n.members[ci]) == 0 {
			continue // a class no workload stands for
		}
		live = append(live, ci)
		if n.unlimitedEg[ci] {
			free.add(ci)
		} else {
			limited = append(limited, ci)
		}
	}
	out := make([]reachable, n.nc)
	for i, d := range live {
		if i%256 == 0 {
			if err := n.b.ctx.Err(); err != nil {
				return nil, err
			}
		}
		r := &out[d]
		r.clients = make(classSet, words)
		full := reach.AllPorts()
		if n.declares[d] {
			full = n.served[d]
		}
		covered := false
		consider := func(s int) {
			if s >= n.nc || len(n.members[s]) == 0 {
				return // an outside range, or a class no workload stands for
			}
			p := n.a.Ports(s, d)
			if p.IsEmpty() {
				return
			}
			if p.IsAll() {
				p = full
			} else if p = p.Intersect(full); p.IsEmpty() {
				return
			}
			r.clients.add(s)
			if !covered {
				r.ports = r.ports.Union(p)
				covered = r.ports.Equal(full)
			}
		}
		switch srcs := n.a.Sources(d); {
		case srcs != nil:
			for _, s := range srcs {
				consider(s)
			}
		case n.unlimitedIn[d]:
			copy(r.clients, free)
			if !free.empty() {
				r.ports, covered = full, true
			}
			for _, s := range limited {
				consider(s)
			}
		default:
			for _, s := range live {
				consider(s)
			}
		}
	}
	return out, nil
}

// group is the server classes that the same client classes may reach, with the ports
// any of the clients may connect to each on.
type group struct {
	clients classSet
	servers []int
	ports   []reach.PortSet
}

// groups groups the server classes by their clients, in the order of their first
// server; servers no one may reach are left out.
func (n *netLayer) groups(rs []reachable) []*group {
	byKey := map[string]*group{}
	var out []*group
	for d, r := range rs {
		if r.clients == nil || r.clients.empty() {
			continue
		}
		k := r.clients.key()
		g := byKey[k]
		if g == nil {
			g = &group{clients: r.clients}
			byKey[k] = g
			out = append(out, g)
		}
		g.servers = append(g.servers, d)
		g.ports = append(g.ports, r.ports)
	}
	return out
}

// join adds the edges of a group: direct ones, or through segment number k.
func (n *netLayer) join(k int, g *group) {
	var clients []int
	nClients := 0
	g.clients.each(func(s int) {
		clients = append(clients, s)
		nClients += len(n.members[s])
	})
	nServers := 0
	for _, d := range g.servers {
		nServers += len(n.members[d])
	}
	if nClients*nServers <= maxDirectPairs {
		n.direct(clients, g.servers)
		return
	}
	seg := n.b.g.node(Node{ID: fmt.Sprintf("segment:%d", k), Kind: KindSegment,
		Name: fmt.Sprintf("network segment %d (%d clients, %d servers)", k, nClients, nServers)}).ID
	for _, s := range clients {
		ev := n.egressEvidence(s, g.servers[0], nServers)
		for _, w := range n.members[s] {
			n.b.g.edge(n.b.workload(w.Obj), seg, EdgeNetwork, ev)
		}
	}
	for i, d := range g.servers {
		ev := n.ingressEvidence(d, clients, g.ports[i])
		ev.Message = fmt.Sprintf("the segment's %d clients %s", nClients, ev.Message)
		for _, w := range n.members[d] {
			n.b.g.edge(seg, n.b.workload(w.Obj), EdgeNetwork, ev, n.isolate(d, w))
		}
	}
}

// direct adds an edge from each client workload to each server workload.
func (n *netLayer) direct(clients, servers []int) {
	for _, d := range servers {
		for _, s := range clients {
			ev := n.ingressEvidence(d, []int{s}, n.ports(s, d))
			for _, dw := range n.members[d] {
				to := n.b.workload(dw.Obj)
				for _, sw := range n.members[s] {
					// Not a workload to itself (nor to another definition of itself).
					if from := n.b.workload(sw.Obj); from != to {
						n.b.g.edge(from, to, EdgeNetwork, ev, n.isolate(d, dw))
					}
				}
			}
		}
	}
}

// ports are the ports class s may connect to class d on, of those d serves.
func (n *netLayer) ports(s, d int) reach.PortSet {
	p := n.a.Ports(s, d)
	if n.declares[d] {
		p = p.Intersect(n.served[d])
	}
	return p
}

// portsText is "TCP/5432, UDP/53", or "any port".
func portsText(p reach.PortSet) string {
	if p.IsAll() {
		return "any port"
	}
	return strings.Join(p.Strings(), ", ")
}

// ingressEvidence says on which ports clients may connect to server class d, and what
// lets them in: no policy selects d, or the rules of the policies that allow them (of
// the first maxExplained clients).
func (n *netLayer) ingressEvidence(d int, clients []int, p reach.PortSet) Evidence {
	w := n.members[d][0]
	r := w.Obj.Ref()
	ev := Evidence{Resource: &r, Source: w.Obj.Source}
	why := "no NetworkPolicy selects the target"
	if !n.unlimitedIn[d] {
		var al allowers
		for i, s := range clients {
			if i == maxExplained {
				break
			}
			al.add(n.a.Grants(d, s, false), p)
		}
		why = "no policy decides the target's ingress on these ports"
		if al.place(&ev) {
			why = "allowed by " + strings.Join(al.titles, ", ")
		}
	}
	ev.Message = fmt.Sprintf("may connect on %s (%s)", portsText(p), why)
	if !n.declares[d] {
		ev.Message += "; the target declares no container port, so any allowed port counts"
	}
	return ev
}

// egressEvidence says that client class s may open connections to a segment's servers
// (of which d is the first), and what lets it out.
func (n *netLayer) egressEvidence(s, d, servers int) Evidence {
	w := n.members[s][0]
	r := w.Obj.Ref()
	ev := Evidence{Resource: &r, Source: w.Obj.Source}
	why := "no NetworkPolicy limits its egress"
	if !n.unlimitedEg[s] {
		var al allowers
		al.add(n.a.Grants(s, d, true), reach.AllPorts())
		why = "no policy decides its egress"
		if al.place(&ev) {
			why = "egress allowed by " + strings.Join(al.titles, ", ")
		}
	}
	ev.Message = fmt.Sprintf("may open connections to the segment's %d servers (%s)", servers, why)
	return ev
}

// allowers gathers the policies whose rules allow one side of a connection on some
// ports: their titles, and the first rule, where the evidence points.
type allowers struct {
	titles []string
	first  *reach.Grant
}

func (al *allowers) add(grants []reach.Grant, ports reach.PortSet) {
	for _, g := range grants {
		if g.Default() || g.Ports.Intersect(ports).IsEmpty() {
			continue // the ports no policy decides, or a rule for other ports
		}
		if al.first == nil {
			al.first = &g
		}
		if t := g.Title(); !slices.Contains(al.titles, t) {
			al.titles = append(al.titles, t)
		}
	}
}

// place points the evidence at the first allowing rule; false when there is none.
func (al *allowers) place(ev *Evidence) bool {
	if al.first == nil {
		return false
	}
	o := al.first.Obj()
	r := o.Ref()
	ev.Resource, ev.Path, ev.Source = &r, al.first.Field, o.SourceAt(al.first.Field)
	return true
}

// isolate is the fix that cuts every connection into server workload w of class d.
func (n *netLayer) isolate(d int, w *reach.Workload) *Fix {
	ref := w.Namespace + "/" + w.Kind + "/" + w.Name
	r := w.Obj.Ref()
	rem := "Add a NetworkPolicy that selects " + ref + " and allows only the clients it needs (moat netpol generate)"
	if !n.unlimitedIn[d] {
		rem = "Narrow the policies that select " + ref + " to allow only the clients it needs (moat netpol generate)"
	}
	return n.b.g.fix(Fix{ID: "netpol-isolate " + ref, Resource: &r, Remediation: rem})
}

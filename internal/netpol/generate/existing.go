package generate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/moat-dev/moat/internal/netpol/reach"
)

// The NetworkPolicies of the inputs are kept unless Options.Narrow. NetworkPolicies
// add up: a pod that some policy isolates for a direction may make the connections
// that any of them allows. So a generated policy can only take something away where it
// isolates a pod for a direction no existing policy isolated it for. Three things keep
// that from breaking what the existing policies allow:
//
//   - a namespace whose policies leave a direction open everywhere keeps it open (no
//     default deny for it; see gen.namespaces);
//   - where a generated default deny newly isolates one end of a connection that an
//     existing policy allows at the other end by naming its peer (a pod or namespace
//     selector), the generated policy allows it too (existingFlows);
//   - a rule is written only for what the existing policies of that end do not
//     already allow (missing).
//
// A rule that allows every pod of every namespace (no peer, or namespaceSelector {}
// alone) names no peer: generated policies of the other end admit only what was
// inferred, and a warning says so.

// existingSide is what the kept policies of workload w allow towards peer in one
// direction, and whether they isolate w for it.
func (g *gen) existingSide(w *reach.Workload, ingress bool, peer reach.Endpoint) (reach.PortSet, bool) {
	var out reach.PortSet
	iso := false
	for _, pol := range g.existing[w.Namespace] {
		if (ingress && !pol.Ingress) || (!ingress && !pol.Egress) || !pol.Selector.Matches(labels.Set(w.Labels)) {
			continue
		}
		iso = true
		rules, dst := pol.EgressRules, g.portsOf(peer)
		if ingress {
			rules, dst = pol.IngressRules, w.Ports
		}
		for _, r := range rules {
			if r.AnyPeer || slices.ContainsFunc(r.Peers, func(pe reach.Peer) bool { return g.peerMatches(pol, pe, peer) }) {
				out = out.Union(r.Ports.Resolve(dst))
			}
		}
	}
	return out, iso
}

// isolatedBefore reports whether the kept policies isolate w for a direction.
func (g *gen) isolatedBefore(w *reach.Workload, ingress bool) bool {
	k := isoKey{w, ingress}
	iso, ok := g.isoMemo[k]
	if !ok {
		_, iso = g.existingSide(w, ingress, Anywhere)
		g.isoMemo[k] = iso
	}
	return iso
}

type isoKey struct {
	w       *reach.Workload
	ingress bool
}

// newlyIsolated reports whether the generated default deny isolates w for a direction
// that no kept policy isolates it for.
func (g *gen) newlyIsolated(w *reach.Workload, ingress bool) bool {
	gen := g.genEg[w.Namespace]
	if ingress {
		gen = g.genIn[w.Namespace]
	}
	return gen && !g.isolatedBefore(w, ingress)
}

func (g *gen) portsOf(e reach.Endpoint) []reach.ContainerPort {
	if w := g.byRef[e]; w != nil {
		return w.Ports
	}
	return nil
}

// peerMatches reports whether a peer of a kept policy matches an endpoint of a flow.
func (g *gen) peerMatches(pol *reach.Policy, pe reach.Peer, e reach.Endpoint) bool {
	if pe.IPBlock != nil {
		switch e {
		case Anywhere:
			return pe.IPBlock.CIDR.Bits() == 0 && len(pe.IPBlock.Except) == 0
		case AnyPod:
			return false
		case KubeAPIServer:
			if g.api.unknown {
				return true // the project allows some addresses: assume they are the API server's (ports still decide)
			}
			return !slices.ContainsFunc(g.api.prefixes, func(p netip.Prefix) bool { return !covers(pe.IPBlock, p, netip.Prefix{}) })
		case Internet:
			return covers(pe.IPBlock, anyIPv4, linkLocal)
		}
		if p, err := netip.ParsePrefix(e.IPBlock); err == nil {
			return covers(pe.IPBlock, p, netip.Prefix{})
		}
		return false // pod addresses are not known from files
	}
	if e == AnyPod {
		return allPods(pe)
	}
	w := g.byRef[e]
	if w == nil {
		return false // outside the cluster: selectors match pods only
	}
	return g.peerMatchesWorkload(pol, pe, w)
}

// peerMatchesWorkload reports whether a selector peer of a kept policy matches a workload.
func (g *gen) peerMatchesWorkload(pol *reach.Policy, pe reach.Peer, w *reach.Workload) bool {
	if pe.IPBlock != nil {
		return false
	}
	if pe.Namespace == nil {
		if w.Namespace != pol.Namespace {
			return false
		}
	} else if !pe.Namespace.Matches(labels.Set(g.m.Namespaces[w.Namespace])) {
		return false
	}
	return pe.Pod == nil || pe.Pod.Matches(labels.Set(w.Labels))
}

// covers reports whether an ipBlock holds all of p but what lies in allowedOut.
func covers(b *reach.IPBlock, p, allowedOut netip.Prefix) bool {
	if b.CIDR.Addr().Is4() != p.Addr().Is4() || b.CIDR.Bits() > p.Bits() || !b.CIDR.Contains(p.Addr()) {
		return false
	}
	for _, e := range b.Except {
		overlaps := e.Overlaps(p)
		inAllowed := allowedOut.IsValid() && allowedOut.Bits() <= e.Bits() && allowedOut.Contains(e.Addr())
		if overlaps && !inAllowed {
			return false
		}
	}
	return true
}

// allPods reports a peer that selects every pod of every namespace.
func allPods(pe reach.Peer) bool {
	return pe.IPBlock == nil && pe.Namespace != nil && pe.Namespace.Empty() && (pe.Pod == nil || pe.Pod.Empty())
}

// existingFlows adds the connections that kept policies allow by naming their peer,
// where the generated policies newly isolate the peer's end; and warns about kept
// egress rules to every pod, which the generated ingress policies do not honour.
func (g *gen) existingFlows() {
	if g.opt.Narrow {
		return
	}
	newIngress := false
	for _, w := range g.m.Workloads {
		newIngress = newIngress || g.newlyIsolated(w, true)
	}
	var nss []string
	for ns := range g.existing {
		nss = append(nss, ns)
	}
	slices.Sort(nss)
	for _, ns := range nss {
		for _, pol := range g.existing[ns] {
			var selected []*reach.Workload
			for _, w := range g.inNS[ns] {
				if pol.Selector.Matches(labels.Set(w.Labels)) {
					selected = append(selected, w)
				}
			}
			if len(selected) == 0 {
				continue
			}
			for _, ingress := range []bool{true, false} {
				rules, field := pol.EgressRules, "spec.egress"
				if ingress {
					if !pol.Ingress {
						continue
					}
					rules, field = pol.IngressRules, "spec.ingress"
				} else if !pol.Egress {
					continue
				}
				for _, r := range rules {
					if !ingress && newIngress && (r.AnyPeer || slices.ContainsFunc(r.Peers, allPods)) && !onlyDNS(r.Ports) {
						var names []string
						for _, w := range selected {
							names = append(names, w.Ref().String())
						}
						g.warn("NetworkPolicy %s %s[%d] lets %s connect to every pod: the generated ingress policies admit them only where a connection was inferred.", pol.Ref(), field, r.Index, strings.Join(names, ", "))
					}
					if r.AnyPeer {
						continue
					}
					for _, pe := range r.Peers {
						if allPods(pe) || pe.IPBlock != nil {
							continue
						}
						candidates := g.m.Workloads
						if pe.Namespace == nil {
							candidates = g.inNS[ns]
						}
						for _, x := range candidates {
							if !g.peerMatchesWorkload(pol, pe, x) {
								continue
							}
							for _, w := range selected {
								src, dst := w, x
								if ingress {
									src, dst = x, w
								}
								// Only the end that the generated policies newly isolate needs a rule.
								if ingress && !g.newlyIsolated(src, false) || !ingress && !g.newlyIsolated(dst, true) {
									continue
								}
								if src == dst && src.Kind != "StatefulSet" {
									continue
								}
								ports := r.Ports.Resolve(dst.Ports).Intersect(g.allowedBefore(src, dst))
								g.addFlow(src.Ref(), dst.Ref(), ports, fmt.Sprintf("allowed by NetworkPolicy %s %s[%d]", pol.Ref(), field, r.Index))
							}
						}
					}
				}
			}
		}
	}
}

// allowedBefore is what the kept policies let src open to dst.
func (g *gen) allowedBefore(src, dst *reach.Workload) reach.PortSet {
	eg, iso := g.existingSide(src, false, dst.Ref())
	if !iso {
		eg = reach.AllPorts()
	}
	in, iso := g.existingSide(dst, true, src.Ref())
	if !iso {
		in = reach.AllPorts()
	}
	return eg.Intersect(in)
}

func onlyDNS(ps reach.PortSpecs) bool {
	if ps == nil {
		return false
	}
	dns := reach.Port(reach.UDP, 53).Union(reach.Port(reach.TCP, 53))
	for _, p := range ps {
		if p.Named != "" || p.Port == 0 || !dns.Union(reach.PortRange(p.Protocol, p.Port, max(p.End, p.Port))).Equal(dns) {
			return false
		}
	}
	return true
}

// missing is what a generated rule at w's end must allow for flow f: all of it where
// no kept policy isolates w for that direction, else what they do not allow already.
func (g *gen) missing(w *reach.Workload, ingress bool, f Flow) reach.PortSet {
	peer := f.Dst
	if ingress {
		peer = f.Src
	}
	have, iso := g.existingSide(w, ingress, peer)
	if !iso {
		return f.Ports
	}
	if peer == KubeAPIServer && g.api.unknown && !have.Intersect(f.Ports).IsEmpty() {
		return reach.PortSet{} // the project reaches some addresses on an API server port: take it as the API server
	}
	return f.Ports.Subtract(have)
}

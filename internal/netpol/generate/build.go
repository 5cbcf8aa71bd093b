package generate

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/moat-dev/moat/internal/netpol/reach"
)

// build writes the policies of the plan: per namespace a default deny for the
// directions it gets, DNS egress when egress is one, and per workload one policy with
// a rule per flow that its end must allow.
func (g *gen) build() {
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	port53 := intstr.FromInt32(53)
	in := map[reach.Endpoint][]Flow{}
	out := map[reach.Endpoint][]Flow{}
	for _, f := range g.p.Flows {
		in[f.Dst] = append(in[f.Dst], f)
		out[f.Src] = append(out[f.Src], f)
	}
	for _, ns := range g.p.Namespaces {
		taken := map[string]bool{}
		if !g.opt.Narrow {
			for _, o := range g.inv.Kind("NetworkPolicy") {
				if o.EffectiveNamespace() == ns {
					taken[o.Name()] = true
				}
			}
		}
		name := func(base string) string {
			n := base
			for i := 1; taken[n]; i++ {
				n = base + "-moat"
				if i > 1 {
					n = fmt.Sprintf("%s-moat-%d", base, i)
				}
			}
			taken[n] = true
			return n
		}
		deny := newPolicy(ns, name("default-deny"), metav1.LabelSelector{})
		var dirs []string
		if g.genIn[ns] {
			deny.Spec.PolicyTypes = append(deny.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
			dirs = append(dirs, "ingress")
		}
		if g.genEg[ns] {
			deny.Spec.PolicyTypes = append(deny.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
			dirs = append(dirs, "egress")
		}
		g.add(deny, fmt.Sprintf("Deny all %s of every pod in %s; the policies below allow what the manifests need.", strings.Join(dirs, " and "), ns))
		if g.genEg[ns] {
			dns := newPolicy(ns, name("allow-dns"), metav1.LabelSelector{})
			dns.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
			dns.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{reach.NamespaceNameLabel: dnsNamespace}},
					PodSelector:       &metav1.LabelSelector{MatchLabels: dnsLabels},
				}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &port53}, {Protocol: &tcp, Port: &port53}},
			}}
			g.add(dns, "Every pod of "+ns+" may resolve names with kube-dns.")
		}
		ws := g.inNS[ns]
		for _, w := range ws {
			var ingress []networkingv1.NetworkPolicyIngressRule
			var egress []networkingv1.NetworkPolicyEgressRule
			var lines []string
			if g.genIn[ns] {
				for _, f := range in[w.Ref()] {
					ports := g.missing(w, true, f)
					if ports.IsEmpty() {
						continue
					}
					ingress = append(ingress, networkingv1.NetworkPolicyIngressRule{From: g.peers(f.Src, ns), Ports: policyPorts(ports)})
					lines = append(lines, fmt.Sprintf("from %s on %s: %s", f.Src, ports, f.whyFor(ports)))
				}
			}
			if g.genEg[ns] {
				for _, f := range out[w.Ref()] {
					if isDNS(g.byRef[f.Dst]) {
						continue // allow-dns
					}
					ports := g.missing(w, false, f)
					if ports.IsEmpty() {
						continue
					}
					egress = append(egress, networkingv1.NetworkPolicyEgressRule{To: g.peers(f.Dst, ns), Ports: policyPorts(ports)})
					lines = append(lines, fmt.Sprintf("to %s on %s: %s", f.Dst, ports, f.whyFor(ports)))
				}
			}
			if len(ingress)+len(egress) == 0 {
				continue
			}
			np := newPolicy(ns, name(strings.ToLower(w.Name)), metav1.LabelSelector{MatchLabels: w.Labels})
			if len(ingress) > 0 {
				np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
				np.Spec.Ingress = ingress
			}
			if len(egress) > 0 {
				np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
				np.Spec.Egress = egress
			}
			head := fmt.Sprintf("%s %s:", w.Kind, w.Name)
			if g.isolatedBefore(w, true) || g.isolatedBefore(w, false) {
				head = fmt.Sprintf("%s %s (these rules add to the existing policies that select it):", w.Kind, w.Name)
			}
			g.add(np, append([]string{head}, lines...)...)
			sel := labels.SelectorFromSet(w.Labels)
			for _, o := range ws {
				if o != w && sel.Matches(labels.Set(o.Labels)) {
					g.note("policy %s/%s selects %s %s too (its pod labels include those of %s %s): give the workloads distinct labels.", ns, np.Name, o.Kind, o.Name, w.Kind, w.Name)
				}
			}
		}
	}
}

// peers writes a flow's other end as the peers of a rule of a policy in ns.
func (g *gen) peers(e reach.Endpoint, ns string) []networkingv1.NetworkPolicyPeer {
	if w := g.byRef[e]; w != nil {
		return []networkingv1.NetworkPolicyPeer{peerOf(ns, w)}
	}
	switch e {
	case Anywhere:
		return nil // no from: every source
	case AnyPod:
		return []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}
	case KubeAPIServer:
		return g.api.peers()
	case Internet:
		return []networkingv1.NetworkPolicyPeer{internetPeer()}
	}
	if p, err := netip.ParsePrefix(e.IPBlock); err == nil {
		return []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: p.String()}}}
	}
	panic("generate: flow to an unknown endpoint " + e.String())
}

func (g *gen) add(np *networkingv1.NetworkPolicy, comment ...string) {
	g.p.Policies = append(g.p.Policies, np)
	g.p.Comments[np.Namespace+"/"+np.Name] = comment
}

func newPolicy(ns, name string, sel metav1.LabelSelector) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/managed-by": "moat"}},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: sel},
	}
}

// peerOf selects workload w's pods: by pod labels in the same namespace, by
// namespace name and pod labels elsewhere.
func peerOf(ns string, w *reach.Workload) networkingv1.NetworkPolicyPeer {
	peer := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: w.Labels}}
	if w.Namespace != ns {
		peer.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{reach.NamespaceNameLabel: w.Namespace}}
	}
	return peer
}

func policyPorts(ps reach.PortSet) []networkingv1.NetworkPolicyPort {
	var out []networkingv1.NetworkPolicyPort
	for _, proto := range []reach.Protocol{reach.TCP, reach.UDP, reach.SCTP} {
		for _, r := range ps.Ranges(proto) {
			pr := corev1.Protocol(proto.String())
			port := intstr.FromInt32(r.Lo)
			np := networkingv1.NetworkPolicyPort{Protocol: &pr, Port: &port}
			if r.Hi > r.Lo {
				end := r.Hi
				np.EndPort = &end
			}
			out = append(out, np)
		}
	}
	return out
}

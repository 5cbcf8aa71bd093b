package reach

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/moat-dev/moat/internal/inventory"
)

// World is the upstream e2e model: namespaces x, y, z labelled ns=NAME and
// kubernetes.io/metadata.name=NAME, pods named a, b, c labelled pod=NAME, one container
// per port and protocol with the port named serve-PORT-PROTOCOL. Pods get IPs, as
// pods read from a cluster do, so that ipBlock peers can match them.
type world struct {
	pods      []string // "x/a"
	protocols []corev1.Protocol
	ports     []int32
	podLabels map[string]map[string]string
	nsLabels  map[string]map[string]string
	policies  []*networkingv1.NetworkPolicy
}

func podIP(ref string) netip.Addr {
	ns, pod, _ := strings.Cut(ref, "/")
	return netip.AddrFrom4([4]byte{10, byte(ns[0] - 'w'), 0, byte(pod[0] - 'a' + 1)})
}

func (w world) inventory() *inventory.Inventory {
	var objs []*inventory.Object
	for _, ns := range []string{"x", "y", "z"} {
		l := map[string]string{"ns": ns, NamespaceNameLabel: ns}
		for k, v := range w.nsLabels[ns] {
			l[k] = v
		}
		objs = append(objs, inventory.New(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: l}},
			corev1.SchemeGroupVersion.WithKind("Namespace"), nil))
	}
	for _, ref := range w.pods {
		ns, name, _ := strings.Cut(ref, "/")
		l := map[string]string{"pod": name}
		for k, v := range w.podLabels[ref] {
			l[k] = v
		}
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: l}}
		for _, port := range w.ports {
			for _, proto := range w.protocols {
				pn := fmt.Sprintf("serve-%d-%s", port, strings.ToLower(string(proto)))
				pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{
					Name: "cont-" + pn, Ports: []corev1.ContainerPort{{Name: pn, ContainerPort: port, Protocol: proto}},
				})
			}
		}
		pod.Status.PodIP = podIP(ref).String()
		objs = append(objs, inventory.New(pod, corev1.SchemeGroupVersion.WithKind("Pod"), nil))
	}
	for _, p := range w.policies {
		objs = append(objs, inventory.New(p, networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"), nil))
	}
	return inventory.NewInventory(objs)
}

// matrix reads a truth table: a header of column names, then one row per source
// pod: X allowed, . denied, - not checked (a pod to itself: upstream ignores loopback).
func parseMatrix(t *testing.T, s string) (names []string, want map[[2]string]byte) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(s), "\n")
	names = strings.Fields(lines[0])
	want = map[[2]string]byte{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != len(names)+1 {
			t.Fatalf("matrix row %q: want %d cells", l, len(names))
		}
		for j, cell := range f[1:] {
			want[[2]string{f[0], names[j]}] = cell[0]
		}
	}
	return names, want
}

// short is "xa" for x/a.
func short(ref string) string { return strings.ReplaceAll(ref, "/", "") }

// Policy builders, after the upstream helpers.
type npOpt func(*networkingv1.NetworkPolicy)

func netpol(ns, name string, podSel metav1.LabelSelector, opts ...npOpt) *networkingv1.NetworkPolicy {
	p := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: networkingv1.NetworkPolicySpec{PodSelector: podSel}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func match(kv ...string) metav1.LabelSelector {
	l := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		l[kv[i]] = kv[i+1]
	}
	return metav1.LabelSelector{MatchLabels: l}
}

func expr(key string, op metav1.LabelSelectorOperator, vals ...string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: key, Operator: op, Values: vals}}}
}

func sel(s metav1.LabelSelector) *metav1.LabelSelector { return &s }

// ingress sets Ingress in policyTypes and adds the rules (none: deny all ingress).
func ingress(rules ...networkingv1.NetworkPolicyIngressRule) npOpt {
	return func(p *networkingv1.NetworkPolicy) {
		p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		p.Spec.Ingress = append(p.Spec.Ingress, rules...)
	}
}

func egress(rules ...networkingv1.NetworkPolicyEgressRule) npOpt {
	return func(p *networkingv1.NetworkPolicy) {
		p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		p.Spec.Egress = append(p.Spec.Egress, rules...)
	}
}

func from(peers ...networkingv1.NetworkPolicyPeer) networkingv1.NetworkPolicyIngressRule {
	return networkingv1.NetworkPolicyIngressRule{From: peers}
}

func to(peers ...networkingv1.NetworkPolicyPeer) networkingv1.NetworkPolicyEgressRule {
	return networkingv1.NetworkPolicyEgressRule{To: peers}
}

func onPorts(ps ...networkingv1.NetworkPolicyPort) networkingv1.NetworkPolicyIngressRule {
	return networkingv1.NetworkPolicyIngressRule{Ports: ps}
}

func peer(ns, pod *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: ns, PodSelector: pod}
}

func cidr(c string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: c, Except: except}}
}

func portN(proto corev1.Protocol, n int32) networkingv1.NetworkPolicyPort {
	p := networkingv1.NetworkPolicyPort{Port: &intstr.IntOrString{IntVal: n}}
	if proto != "" {
		p.Protocol = &proto
	}
	return p
}

func portName(proto corev1.Protocol, name string) networkingv1.NetworkPolicyPort {
	p := networkingv1.NetworkPolicyPort{Port: &intstr.IntOrString{Type: intstr.String, StrVal: name}}
	if proto != "" {
		p.Protocol = &proto
	}
	return p
}

func portProto(proto corev1.Protocol) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: &proto}
}

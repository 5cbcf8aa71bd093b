package reach

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The cases of the upstream NetworkPolicy e2e suite (kubernetes/kubernetes,
// test/e2e/network/netpol/network_policy.go), one per upstream test, in its order.
// Each has the pods the upstream test creates, its policies, and for each probe
// (protocol and port) the expected truth table. A test that changes policies or labels
// half-way has one step per state. Loopback is not checked, as upstream.

const (
	tcp  = corev1.ProtocolTCP
	udp  = corev1.ProtocolUDP
	sctp = corev1.ProtocolSCTP
)

type probe struct {
	proto corev1.Protocol
	port  int32
	want  string
}

type step struct {
	policies  []*networkingv1.NetworkPolicy
	podLabels map[string]map[string]string
	nsLabels  map[string]map[string]string
	probes    []probe
}

type upstreamCase struct {
	name      string
	pods      []string
	protocols []corev1.Protocol
	ports     []int32
	steps     []step
}

var (
	all          = metav1.LabelSelector{}
	podA         = match("pod", "a")
	podB         = match("pod", "b")
	nsIsY        = match(NamespaceNameLabel, "y")
	nsNotX       = expr(NamespaceNameLabel, metav1.LabelSelectorOpNotIn, "x")
	pods4        = []string{"x/a", "x/b", "y/a", "y/b"}
	xaxbya       = []string{"x/a", "x/b", "y/a"}
	xaxbyza      = []string{"x/a", "x/b", "y/a", "z/a"}
	xaya         = []string{"x/a", "y/a"}
	tcpOnly      = []corev1.Protocol{tcp}
	tcpOnlyProto = tcpOnly
)

// Truth tables used by several cases.
const (
	denyToX4 = `
	   xa xb ya yb
	xa -  .  X  X
	xb .  -  X  X
	ya .  .  -  X
	yb .  .  X  -`
	onlyYToXA = `
	   xa xb ya za
	xa -  X  X  X
	xb .  -  X  X
	ya X  X  -  X
	za .  X  X  -`
	onlyYToXA5 = `
	   xa xb ya yb za
	xa -  X  X  X  X
	xb .  -  X  X  X
	ya X  X  -  X  X
	yb X  X  X  -  X
	za .  X  X  X  -`
	noneToXA5 = `
	   xa xb ya yb za
	xa -  X  X  X  X
	xb .  -  X  X  X
	ya .  X  -  X  X
	yb .  X  X  -  X
	za .  X  X  X  -`
	allXaXbYa = `
	   xa xb ya
	xa -  X  X
	xb X  -  X
	ya X  X  -`
	allXaYa = `
	   xa ya
	xa -  X
	ya X  -`
	noneToXaXaYa = `
	   xa ya
	xa -  X
	ya .  -`
	noneToXInXaYa = noneToXaXaYa
	onlyYaToXa3   = `
	   xa xb ya
	xa -  X  X
	xb .  -  X
	ya X  X  -`
	allXaXbYaZa = `
	   xa xb ya za
	xa -  X  X  X
	xb X  -  X  X
	ya X  X  -  X
	za X  X  X  -`
)

var upstreamCases = []upstreamCase{
	{name: "should support a 'default-deny-ingress' policy", pods: pods4, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "deny-ingress", all, ingress())},
			probes: []probe{{tcp, 80, denyToX4}}}}},
	{name: "should support a 'default-deny-all' policy", pods: xaxbya, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "deny-all", all, ingress(), egress())},
			probes: []probe{{tcp, 80, `
			   xa xb ya
			xa -  .  .
			xb .  -  .
			ya .  .  -`}}}}},
	{name: "should enforce policy to allow traffic from pods within server namespace based on PodSelector", pods: []string{"x/a", "x/b", "x/c", "y/a"}, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "x-a-allows-x-b", podA, ingress(from(peer(nil, sel(podB)))))},
			probes: []probe{{tcp, 80, `
			   xa xb xc ya
			xa -  X  X  X
			xb X  -  X  X
			xc .  X  -  X
			ya .  X  X  -`}}}}},
	{name: "should enforce policy to allow ingress traffic for a target", pods: xaxbya, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{
			netpol("x", "deny-all", all, ingress()),
			netpol("x", "allow-all-to-a", podA, ingress(from(peer(sel(all), sel(all))))),
		}, probes: []probe{{tcp, 80, `
			   xa xb ya
			xa -  .  X
			xb X  -  X
			ya X  .  -`}}}}},
	{name: "should enforce policy to allow ingress traffic from pods in all namespaces", pods: xaxbyza, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-from-another-ns", podA, ingress(from(peer(sel(match()), nil))))},
			probes: []probe{{tcp, 80, allXaXbYaZa}}}}},
	{name: "should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector", pods: xaxbyza, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-client-a-via-ns-selector", podA, ingress(from(peer(sel(nsIsY), nil))))},
			probes: []probe{{tcp, 80, onlyYToXA}}}}},
	{name: "should enforce policy based on PodSelector with MatchExpressions", pods: xaxbya, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "x-a-allows-x-b", podA, ingress(from(peer(nil, expr("pod", metav1.LabelSelectorOpIn, "b")))))},
			probes: []probe{{tcp, 80, `
			   xa xb ya
			xa -  X  X
			xb X  -  X
			ya .  X  -`}}}}},
	{name: "should enforce policy based on NamespaceSelector with MatchExpressions", pods: xaxbyza, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-ns-y-match-selector", podA, ingress(from(peer(expr(NamespaceNameLabel, metav1.LabelSelectorOpIn, "y"), nil))))},
			probes: []probe{{tcp, 80, onlyYToXA}}}}},
	{name: "should enforce policy based on PodSelector or NamespaceSelector", pods: []string{"x/a", "x/b", "x/c", "y/a"}, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-ns-y-match-selector", podA, ingress(from(peer(nsNotX, nil), peer(nil, sel(podB)))))},
			probes: []probe{{tcp, 80, `
			   xa xb xc ya
			xa -  X  X  X
			xb X  -  X  X
			xc .  X  -  X
			ya X  X  X  -`}}}}},
	{name: "should enforce policy based on PodSelector and NamespaceSelector", pods: []string{"x/a", "x/b", "y/a", "y/b", "z/b"}, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-ns-y-podselector-and-nsselector", podA, ingress(from(peer(nsNotX, sel(podB)))))},
			probes: []probe{{tcp, 80, `
			   xa xb ya yb zb
			xa -  X  X  X  X
			xb .  -  X  X  X
			ya .  X  -  X  X
			yb X  X  X  -  X
			zb X  X  X  X  -`}}}}},
	{name: "should enforce policy based on Multiple PodSelectors and NamespaceSelectors", pods: []string{"x/a", "x/b", "y/a", "y/b", "y/c"}, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-ns-y-z-pod-b-c", podA, ingress(from(peer(nsNotX, expr("pod", metav1.LabelSelectorOpIn, "b", "c")))))},
			probes: []probe{{tcp, 80, `
			   xa xb ya yb yc
			xa -  X  X  X  X
			xb .  -  X  X  X
			ya .  X  -  X  X
			yb X  X  X  -  X
			yc X  X  X  X  -`}}}}},
	{name: "should enforce policy based on any PodSelectors", pods: []string{"x/a", "x/b", "x/c"}, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-ns-x-pod-b-c", podA, ingress(from(peer(nil, sel(podB)), peer(nil, sel(match("pod", "c"))))))},
			probes: []probe{{tcp, 80, `
			   xa xb xc
			xa -  X  X
			xb X  -  X
			xc X  X  -`}}}}},
	{name: "should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector", pods: []string{"x/a", "x/b", "y/a", "y/b", "z/a"}, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-ns-y-pod-a-via-namespace-pod-selector", podA, ingress(from(peer(sel(nsIsY), sel(podA)))))},
			probes: []probe{{tcp, 80, `
			   xa xb ya yb za
			xa -  X  X  X  X
			xb .  -  X  X  X
			ya X  X  -  X  X
			yb .  X  X  -  X
			za .  X  X  X  -`}}}}},
	{name: "should enforce policy based on Ports", pods: []string{"x/a", "x/b", "y/a", "y/b", "z/a"}, protocols: tcpOnly, ports: []int32{81},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{allowYOn("allow-client-a-via-ns-selector", portN(tcp, 81))},
			probes: []probe{{tcp, 81, onlyYToXA5}}}}},
	{name: "should enforce multiple, stacked policies with overlapping podSelectors", pods: []string{"x/a", "x/b", "y/a", "y/b", "z/a"}, protocols: tcpOnly, ports: []int32{80, 81},
		steps: []step{
			{policies: []*networkingv1.NetworkPolicy{allowYOn("allow-client-a-via-ns-selector", portN(tcp, 81))},
				probes: []probe{{tcp, 81, onlyYToXA5}, {tcp, 80, noneToXA5}}},
			{policies: []*networkingv1.NetworkPolicy{allowYOn("allow-client-a-via-ns-selector", portN(tcp, 81)), allowYOn("allow-client-a-via-ns-selector-80", portN(tcp, 80))},
				probes: []probe{{tcp, 80, onlyYToXA5}}},
		}},
	{name: "should support allow-all policy", pods: xaxbya, protocols: tcpOnly, ports: []int32{80, 81},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-all", match(), ingress(networkingv1.NetworkPolicyIngressRule{}))},
			probes: []probe{{tcp, 80, allXaXbYa}, {tcp, 81, allXaXbYa}}}}},
	{name: "should allow ingress access on one named port", pods: xaxbya, protocols: tcpOnly, ports: []int32{80, 81},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-all", match(), ingress(onPorts(portName("", "serve-81-tcp"))))},
			probes: []probe{{tcp, 81, allXaXbYa}, {tcp, 80, `
			   xa xb ya
			xa -  .  X
			xb .  -  X
			ya .  .  -`}}}}},
	{name: "should allow ingress access from namespace on one named port", pods: xaxbyza, protocols: tcpOnly, ports: []int32{80, 81},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{allowYOn("allow-client-a-via-ns-selector-80", portName(tcp, "serve-80-tcp"))},
			probes: []probe{{tcp, 80, onlyYToXA}, {tcp, 81, `
			   xa xb ya za
			xa -  X  X  X
			xb .  -  X  X
			ya .  X  -  X
			za .  X  X  -`}}}}},
	{name: "should allow egress access on one named port", pods: xaya, protocols: tcpOnly, ports: []int32{80, 81},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-egress", match(), egress(networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{portName("", "serve-80-tcp")}}))},
			probes: []probe{{tcp, 80, allXaYa}, {tcp, 81, `
			   xa ya
			xa -  .
			ya X  -`}}}}},
	{name: "should enforce updated policy", pods: xaya, protocols: tcpOnly, ports: []int32{81},
		steps: []step{
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-all-mutate-to-deny-all", match(), ingress(networkingv1.NetworkPolicyIngressRule{}))},
				probes: []probe{{tcp, 81, allXaYa}}},
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-all-mutate-to-deny-all", match(), ingress())},
				probes: []probe{{tcp, 81, noneToXInXaYa}}},
		}},
	{name: "should allow ingress access from updated namespace", pods: xaya, protocols: tcpOnly, ports: []int32{80},
		steps: []step{
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-client-a-via-ns-selector", podA, ingress(from(peer(sel(match("ns2", "updated")), nil))))},
				probes: []probe{{tcp, 80, noneToXaXaYa}}},
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-client-a-via-ns-selector", podA, ingress(from(peer(sel(match("ns2", "updated")), nil))))},
				nsLabels: map[string]map[string]string{"y": {"ns2": "updated"}},
				probes:   []probe{{tcp, 80, allXaYa}}},
		}},
	{name: "should allow ingress access from updated pod", pods: []string{"x/a", "x/b"}, protocols: tcpOnly, ports: []int32{80},
		steps: []step{
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-client-a-via-pod-selector", podA, ingress(from(peer(nil, sel(match("pod", "b", "pod2", "updated"))))))},
				probes: []probe{{tcp, 80, `
				   xa xb
				xa -  X
				xb .  -`}}},
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-client-a-via-pod-selector", podA, ingress(from(peer(nil, sel(match("pod", "b", "pod2", "updated"))))))},
				podLabels: map[string]map[string]string{"x/b": {"pod2": "updated"}},
				probes: []probe{{tcp, 80, `
				   xa xb
				xa -  X
				xb X  -`}}},
		}},
	{name: "should deny ingress from pods on other namespaces", pods: xaxbyza, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "deny-empty-policy", all, ingress(from(peer(nil, sel(match())))))},
			probes: []probe{{tcp, 80, `
			   xa xb ya za
			xa -  X  X  X
			xb X  -  X  X
			ya .  .  -  X
			za .  .  X  -`}}}}},
	{name: "should deny ingress access to updated pod", pods: xaya, protocols: tcpOnly, ports: []int32{80},
		steps: []step{
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "deny-ingress-via-label-selector", match("target", "isolated"), ingress())},
				probes: []probe{{tcp, 80, allXaYa}}},
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "deny-ingress-via-label-selector", match("target", "isolated"), ingress())},
				podLabels: map[string]map[string]string{"x/a": {"target": "isolated"}},
				probes:    []probe{{tcp, 80, noneToXaXaYa}}},
		}},
	{name: "should deny egress from pods based on PodSelector", pods: xaxbya, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "deny-egress-pod-a", podA, egress())},
			probes: []probe{{tcp, 80, `
			   xa xb ya
			xa -  .  .
			xb X  -  X
			ya X  X  -`}}}}},
	{name: "should deny egress from all pods in a namespace", pods: xaxbya, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "deny-egress-ns-x", all, egress())},
			probes: []probe{{tcp, 80, `
			   xa xb ya
			xa -  .  .
			xb .  -  .
			ya X  X  -`}}}}},
	{name: "should work with Ingress, Egress specified together", pods: []string{"x/a", "x/b", "x/c", "y/a"}, protocols: tcpOnly, ports: []int32{80, 81},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-client-a-via-pod-selector", podA,
			egress(networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{portN("", 80)}}),
			ingress(from(peer(nil, sel(podB)))))},
			probes: []probe{{tcp, 80, `
			   xa xb xc ya
			xa -  X  X  X
			xb X  -  X  X
			xc .  X  -  X
			ya .  X  X  -`}, {tcp, 81, `
			   xa xb xc ya
			xa -  .  .  .
			xb X  -  X  X
			xc .  X  -  X
			ya .  X  X  -`}}}}},
	{name: "should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)", pods: []string{"x/a", "y/a", "y/b"}, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{
			netpol("x", "allow-to-ns-y-pod-a", podA, egress(to(peer(sel(nsIsY), sel(podA))))),
			netpol("y", "allow-from-xa-on-ya-match-selector", podA, ingress(from(peer(sel(match(NamespaceNameLabel, "x")), sel(podA))))),
			netpol("y", "allow-from-xa-on-yb-match-selector", podB, ingress(from(peer(sel(match(NamespaceNameLabel, "x")), sel(podA))))),
		}, probes: []probe{{tcp, 80, `
			   xa ya yb
			xa -  X  .
			ya X  -  .
			yb X  .  -`}}}}},
	{name: "should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector", pods: []string{"x/a", "y/a", "y/b"}, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-to-ns-y-pod-a", podA, egress(to(peer(sel(nsIsY), sel(podA)))))},
			probes: []probe{{tcp, 80, `
			   xa ya yb
			xa -  X  .
			ya X  -  X
			yb X  X  -`}}}}},
	{name: "should enforce ingress policy allowing any port traffic to a server on a specific protocol", pods: xaya, protocols: []corev1.Protocol{tcp, udp}, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-ingress-by-proto", podA, ingress(onPorts(portProto(tcp))))},
			probes: []probe{{tcp, 80, allXaYa}, {udp, 80, noneToXaXaYa}}}}},
	{name: "should enforce multiple ingress policies with ingress allow-all policy taking precedence", pods: xaya, protocols: tcpOnly, ports: []int32{81},
		steps: []step{
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-ingress-port-80", match(), ingress(onPorts(portN("", 80))))},
				probes: []probe{{tcp, 81, noneToXInXaYa}}},
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-ingress-port-80", match(), ingress(onPorts(portN("", 80)))), netpol("x", "allow-ingress", match(), ingress(networkingv1.NetworkPolicyIngressRule{}))},
				probes: []probe{{tcp, 81, allXaYa}}},
		}},
	{name: "should enforce multiple egress policies with egress allow-all policy taking precedence", pods: xaya, protocols: tcpOnly, ports: []int32{81},
		steps: []step{
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-egress-port-80", match(), egress(networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{portN("", 80)}}))},
				probes: []probe{{tcp, 81, `
				   xa ya
				xa -  .
				ya X  -`}}},
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-egress-port-80", match(), egress(networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{portN("", 80)}})), netpol("x", "allow-egress", match(), egress(networkingv1.NetworkPolicyEgressRule{}))},
				probes: []probe{{tcp, 81, allXaYa}}},
		}},
	{name: "should stop enforcing policies after they are deleted", pods: xaya, protocols: tcpOnly, ports: []int32{80},
		steps: []step{
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "deny-all", all, ingress(), egress())},
				probes: []probe{{tcp, 80, `
				   xa ya
				xa -  .
				ya .  -`}}},
			{probes: []probe{{tcp, 80, allXaYa}}},
		}},
	{name: "should allow egress access to server in CIDR block", pods: []string{"x/a", "y/a", "y/b"}, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-client-a-via-cidr-egress-rule", podA, egress(to(cidr(podIP("y/b").String()+"/32"))))},
			probes: []probe{{tcp, 80, `
			   xa ya yb
			xa -  .  X
			ya X  -  X
			yb X  X  -`}}}}},
	{name: "should enforce except clause while egress access to server in CIDR block", pods: []string{"x/a", "x/b", "x/c"}, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-client-a-via-cidr-egress-rule", podA, egress(to(cidr("0.0.0.0/4", podIP("x/b").String()+"/32"))))},
			probes: []probe{{tcp, 80, `
			   xa xb xc
			xa -  .  X
			xb X  -  X
			xc X  X  -`}}}}},
	{name: "should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed", pods: []string{"x/a", "x/b", "x/c"}, protocols: tcpOnly, ports: []int32{80},
		steps: []step{
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-client-a-via-cidr-egress-rule", podA, egress(to(cidr("0.0.0.0/4", podIP("x/b").String()+"/32"))))},
				probes: []probe{{tcp, 80, `
				   xa xb xc
				xa -  .  X
				xb X  -  X
				xc X  X  -`}}},
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-client-a-via-cidr-egress-rule", podA, egress(to(cidr(podIP("x/b").String()+"/32"))))},
				probes: []probe{{tcp, 80, `
				   xa xb xc
				xa -  X  .
				xb X  -  X
				xc X  X  -`}}},
		}},
	{name: "should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector", pods: xaxbya, protocols: tcpOnly, ports: []int32{80},
		steps: []step{
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-egress-for-target", podA, egress(networkingv1.NetworkPolicyEgressRule{}))},
				probes: []probe{{tcp, 80, allXaXbYa}}},
			{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-egress-for-target", podA, egress(networkingv1.NetworkPolicyEgressRule{})), netpol("x", "deny-ingress-via-label-selector", podA, ingress())},
				probes: []probe{{tcp, 80, `
				   xa xb ya
				xa -  X  X
				xb .  -  X
				ya .  X  -`}}},
		}},
	{name: "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP", pods: xaya, protocols: tcpOnly, ports: []int32{81},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "deny-ingress", all, ingress()), netpol("x", "allow-only-sctp-ingress-on-port-81", podA, ingress(onPorts(portN(sctp, 81))))},
			probes: []probe{{tcp, 81, noneToXInXaYa}}}}},
	{name: "should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP", pods: xaya, protocols: tcpOnly, ports: []int32{81},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-only-sctp-ingress-on-port-80", podA, ingress(onPorts(portN(sctp, 80))))},
			probes: []probe{{tcp, 81, noneToXaXaYa}}}}},
	{name: "should not allow access by TCP when a policy specifies only UDP", pods: xaya, protocols: tcpOnly, ports: []int32{81},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-only-udp-ingress-on-port-81", podA, ingress(onPorts(portN(udp, 81))))},
			probes: []probe{{tcp, 81, noneToXaXaYa}}}}},
	{name: "should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label", pods: xaxbyza, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-client-a-via-ns-selector-for-immutable-ns-label", podA, ingress(from(peer(sel(nsIsY), nil))))},
			probes: []probe{{tcp, 80, onlyYToXA}}}}},
	{name: "should enforce policy based on NamespaceSelector with MatchExpressions using default ns label", pods: xaxbyza, protocols: tcpOnly, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-ns-y-match-selector-for-immutable-ns-label", podA, egress(to(peer(expr(NamespaceNameLabel, metav1.LabelSelectorOpNotIn, "y"), nil))))},
			probes: []probe{{tcp, 80, `
			   xa xb ya za
			xa -  X  .  X
			xb X  -  X  X
			ya X  X  -  X
			za X  X  X  -`}}}}},
	// NetworkPolicy between server and client using UDP.
	{name: "UDP: should support a 'default-deny-ingress' policy", pods: pods4, protocols: []corev1.Protocol{udp}, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "deny-all", all, ingress())},
			probes: []probe{{udp, 80, denyToX4}}}}},
	{name: "UDP: should enforce policy based on Ports", pods: xaxbyza, protocols: []corev1.Protocol{udp}, ports: []int32{81},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{allowYOn("allow-ingress-on-port-81-ns-x", portN(udp, 81))},
			probes: []probe{{udp, 81, onlyYToXA}, {tcp, 81, `
			   xa xb ya za
			xa -  X  X  X
			xb .  -  X  X
			ya .  X  -  X
			za .  X  X  -`}}}}},
	{name: "UDP: should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector", pods: xaxbya, protocols: []corev1.Protocol{udp}, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-ns-y-pod-a-via-namespace-pod-selector", podA, ingress(from(peer(sel(nsIsY), sel(podA)))))},
			probes: []probe{{udp, 80, onlyYaToXa3}}}}},
	// NetworkPolicy between server and client using SCTP.
	{name: "SCTP: should support a 'default-deny-ingress' policy", pods: pods4, protocols: []corev1.Protocol{sctp}, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "deny-all", all, ingress())},
			probes: []probe{{sctp, 80, denyToX4}}}}},
	{name: "SCTP: should enforce policy based on Ports", pods: xaxbyza, protocols: []corev1.Protocol{sctp}, ports: []int32{81},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{allowYOn("allow-ingress-on-port-81-ns-x", portN(sctp, 81))},
			probes: []probe{{sctp, 81, onlyYToXA}}}}},
	{name: "SCTP: should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector", pods: xaxbya, protocols: []corev1.Protocol{sctp}, ports: []int32{80},
		steps: []step{{policies: []*networkingv1.NetworkPolicy{netpol("x", "allow-ns-y-pod-a-via-namespace-pod-selector", podA, ingress(from(peer(sel(nsIsY), sel(podA)))))},
			probes: []probe{{sctp, 80, onlyYaToXa3}}}}},
}

// allowYOn is the upstream policy on x/a that admits namespace y on one port.
func allowYOn(name string, port networkingv1.NetworkPolicyPort) *networkingv1.NetworkPolicy {
	r := from(peer(sel(nsIsY), nil))
	r.Ports = []networkingv1.NetworkPolicyPort{port}
	return netpol("x", name, podA, ingress(r))
}

func TestUpstreamNetworkPolicyCases(t *testing.T) {
	if len(upstreamCases) != 48 {
		t.Errorf("%d upstream cases, want the 48 of network_policy.go", len(upstreamCases))
	}
	for _, tc := range upstreamCases {
		t.Run(tc.name, func(t *testing.T) {
			for si, st := range tc.steps {
				w := world{pods: tc.pods, protocols: tc.protocols, ports: tc.ports, podLabels: st.podLabels, nsLabels: st.nsLabels, policies: st.policies}
				m := FromInventory(w.inventory())
				if len(m.Warnings) > 0 {
					t.Fatal(m.Warnings)
				}
				a := Analyze(m, Options{})
				conns := map[[2]string]PortSet{}
				for _, c := range a.Connections() {
					conns[[2]string{c.Src.String(), c.Dst.String()}] = c.Ports
				}
				for _, pr := range st.probes {
					names, want := parseMatrix(t, pr.want)
					proto, _ := ParseProtocol(string(pr.proto))
					for _, s := range tc.pods {
						for _, d := range tc.pods {
							cell, ok := want[[2]string{short(s), short(d)}]
							if !ok {
								t.Fatalf("step %d: matrix %v has no cell %s→%s", si, names, s, d)
							}
							if cell == '-' {
								continue
							}
							sRef, dRef := podRef(s), podRef(d)
							got := conns[[2]string{sRef, dRef}].Has(proto, pr.port)
							// The single-pair evaluation that explain uses must agree.
							if pair := a.Ports(a.Index(endpointOf(s)), a.Index(endpointOf(d))).Has(proto, pr.port); pair != got {
								t.Errorf("step %d %s/%d %s→%s: Connections says %v, Ports says %v", si, pr.proto, pr.port, s, d, got, pair)
							}
							if got != (cell == 'X') {
								t.Errorf("step %d %s/%d %s→%s: allowed=%v, want %v", si, pr.proto, pr.port, s, d, got, cell == 'X')
							}
						}
					}
				}
			}
		})
	}
}

func podRef(ref string) string {
	e := endpointOf(ref)
	return e.String()
}

func endpointOf(ref string) Endpoint {
	ns, name, _ := splitRef(ref)
	return Endpoint{Namespace: ns, Kind: "Pod", Name: name}
}

func splitRef(ref string) (string, string, bool) {
	for i := range ref {
		if ref[i] == '/' {
			return ref[:i], ref[i+1:], true
		}
	}
	return "", ref, false
}

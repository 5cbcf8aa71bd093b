// Package generate infers the connections a set of manifests needs — which workload
// calls which Service, found by the Service's DNS name or host:port in environment
// variables, arguments and ConfigMaps — and writes least-privilege NetworkPolicies that
// allow exactly those: per namespace a default deny and DNS egress to kube-dns, per
// workload one policy for its inbound and outbound flows.
//
// It is pure: it reads the inventory and returns a plan; WriteYAML renders it.
// kube-system is never given policies (its components need traffic Moat cannot see).
package generate

import (
	"cmp"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/podspec"
)

// Flow is one inferred connection: a workload calls a Service whose pods are Dst.
type Flow struct {
	Src, Dst reach.Endpoint
	Ports    reach.PortSet
	// Why says where the reference was found: `env DATABASE_URL of container "api"`.
	Why []string
}

// Plan is what generate infers and writes.
type Plan struct {
	// Namespaces are the namespaces that get policies.
	Namespaces []string
	Flows      []Flow
	Policies   []*networkingv1.NetworkPolicy
	// Comments holds, per policy name "NS/NAME", the lines written above it.
	Comments map[string][]string
	// Notes are things a person must decide (a Service exposed outside, an external host).
	Notes []string
}

// DNS is where pods resolve names: kube-dns in kube-system.
var (
	dnsNamespace = "kube-system"
	dnsLabels    = map[string]string{"k8s-app": "kube-dns"}
)

type service struct {
	ns, name string
	ports    []corev1.ServicePort
	backends []*reach.Workload
	obj      *inventory.Object
}

// reference is one string a workload carries, with where it came from.
type reference struct {
	key, value, where string
}

var (
	tokenRE = regexp.MustCompile(`[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?`)
	hostKey = regexp.MustCompile(`(?i)(host|addr|server|endpoint|url|uri|service|svc|dsn|broker|upstream|backend)`)
)

// Infer builds the plan of an inventory.
func Infer(inv *inventory.Inventory) *Plan {
	m := reach.FromInventory(inv)
	p := &Plan{Comments: map[string][]string{}}
	// Services and the workloads behind them.
	var svcs []*service
	for _, o := range inv.Kind("Service") {
		s, ok := o.Obj.(*corev1.Service)
		if !ok || len(s.Spec.Selector) == 0 {
			continue
		}
		sv := &service{ns: o.EffectiveNamespace(), name: s.Name, ports: s.Spec.Ports, obj: o}
		sel := labels.SelectorFromSet(s.Spec.Selector)
		for _, w := range m.Workloads {
			if w.Namespace == sv.ns && sel.Matches(labels.Set(w.Labels)) {
				sv.backends = append(sv.backends, w)
			}
		}
		svcs = append(svcs, sv)
		if s.Spec.Type == corev1.ServiceTypeLoadBalancer || s.Spec.Type == corev1.ServiceTypeNodePort {
			p.Notes = append(p.Notes, fmt.Sprintf("Service %s/%s is of type %s: traffic from outside the cluster is not allowed by the generated policies; add an ingress rule with the ipBlock of your clients or load balancer.", sv.ns, sv.name, s.Spec.Type))
		}
	}
	for _, o := range inv.Kind("Ingress") {
		p.Notes = append(p.Notes, fmt.Sprintf("Ingress %s/%s routes outside traffic through your ingress controller: add an ingress rule from the controller's namespace to its backends.", o.EffectiveNamespace(), o.Name()))
	}
	byHost := map[string][]*service{} // every DNS form of a Service name
	for _, s := range svcs {
		for _, h := range []string{s.name + "." + s.ns, s.name + "." + s.ns + ".svc", s.name + "." + s.ns + ".svc.cluster.local"} {
			byHost[h] = append(byHost[h], s)
		}
	}
	short := map[string][]*service{} // "ns/name" for same-namespace short names
	for _, s := range svcs {
		short[s.ns+"/"+s.name] = append(short[s.ns+"/"+s.name], s)
	}

	flows := map[[2]reach.Endpoint]*Flow{}
	var dnsWorkload []*reach.Workload
	for _, w := range m.Workloads {
		if w.Namespace == dnsNamespace && labels.SelectorFromSet(dnsLabels).Matches(labels.Set(w.Labels)) {
			dnsWorkload = append(dnsWorkload, w)
		}
	}
	covered := map[string]bool{}
	for _, w := range m.Workloads {
		if w.Namespace == dnsNamespace {
			continue
		}
		covered[w.Namespace] = true
		for _, ref := range references(inv, w) {
			for _, tok := range tokenRE.FindAllStringIndex(ref.value, -1) {
				text := ref.value[tok[0]:tok[1]]
				host, portS, hasPort := strings.Cut(text, ":")
				host = strings.ToLower(strings.TrimSuffix(host, "."))
				targets := byHost[host]
				if _, rest, ok := strings.Cut(host, "."); targets == nil && ok {
					targets = byHost[rest] // a pod of a headless Service: postgres-0.postgres.shop.svc
				}
				if targets == nil && !strings.Contains(host, ".") {
					before := ref.value[:tok[0]]
					urlish := strings.HasSuffix(before, "://") || strings.HasSuffix(before, "@")
					whole := strings.TrimSpace(ref.value) == text && hostKey.MatchString(ref.key)
					if hasPort || urlish || whole {
						targets = short[w.Namespace+"/"+host]
					}
				}
				for _, s := range targets {
					port := 0
					if hasPort {
						port, _ = strconv.Atoi(portS)
					}
					addFlows(flows, w, s, port, ref.where)
				}
			}
		}
		for _, d := range dnsWorkload {
			f := flow(flows, w, d)
			f.Ports = f.Ports.Union(reach.Port(reach.UDP, 53)).Union(reach.Port(reach.TCP, 53))
			f.Why = appendOnce(f.Why, "DNS lookups")
		}
	}
	for ns := range covered {
		p.Namespaces = append(p.Namespaces, ns)
	}
	slices.Sort(p.Namespaces)
	for _, f := range flows {
		if !f.Ports.IsEmpty() {
			p.Flows = append(p.Flows, *f)
		}
	}
	slices.SortFunc(p.Flows, func(a, b Flow) int {
		return cmp.Or(strings.Compare(a.Src.String(), b.Src.String()), strings.Compare(a.Dst.String(), b.Dst.String()))
	})
	p.build(m)
	return p
}

func appendOnce(xs []string, s string) []string {
	if slices.Contains(xs, s) {
		return xs
	}
	return append(xs, s)
}

func flow(flows map[[2]reach.Endpoint]*Flow, src, dst *reach.Workload) *Flow {
	k := [2]reach.Endpoint{src.Ref(), dst.Ref()}
	f := flows[k]
	if f == nil {
		f = &Flow{Src: k[0], Dst: k[1]}
		flows[k] = f
	}
	return f
}

// addFlows adds w → each backend of s on the target ports of the Service port named
// by number (all of the Service's ports when port is 0).
func addFlows(flows map[[2]reach.Endpoint]*Flow, w *reach.Workload, s *service, port int, where string) {
	for _, sp := range s.ports {
		if port != 0 && int(sp.Port) != port {
			continue
		}
		proto, err := reach.ParseProtocol(string(sp.Protocol))
		if err != nil {
			continue
		}
		for _, b := range s.backends {
			if b == w {
				continue
			}
			target := sp.TargetPort
			var num int32
			switch {
			case target.Type == intstr.String && target.StrVal != "":
				for _, cp := range b.Ports {
					if cp.Name == target.StrVal && cp.Protocol == proto {
						num = cp.Port
					}
				}
			case target.IntVal != 0:
				num = target.IntVal
			default:
				num = sp.Port
			}
			if num == 0 {
				continue
			}
			f := flow(flows, w, b)
			f.Ports = f.Ports.Union(reach.Port(proto, num))
			f.Why = appendOnce(f.Why, fmt.Sprintf("Service %s/%s referenced in %s", s.ns, s.name, where))
		}
	}
}

// references are the strings of a workload's pod spec that may name a Service: env
// values, args and commands, and the data of the ConfigMaps it reads.
func references(inv *inventory.Inventory, w *reach.Workload) []reference {
	pod, ok := podspec.Of(w.Obj)
	if !ok {
		return nil
	}
	var out []reference
	cm := func(name string) map[string]string {
		o := inv.Find("ConfigMap", w.Namespace, name)
		if o == nil {
			return nil
		}
		c, ok := o.Obj.(*corev1.ConfigMap)
		if !ok {
			return nil
		}
		return c.Data
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range cs {
			for _, e := range c.Env {
				if e.Value != "" {
					out = append(out, reference{e.Name, e.Value, fmt.Sprintf("env %s of container %q", e.Name, c.Name)})
				}
				if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
					r := e.ValueFrom.ConfigMapKeyRef
					if v, ok := cm(r.Name)[r.Key]; ok {
						out = append(out, reference{e.Name, v, fmt.Sprintf("ConfigMap %s key %s (env %s of container %q)", r.Name, r.Key, e.Name, c.Name)})
					}
				}
			}
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef == nil {
					continue
				}
				data := cm(ef.ConfigMapRef.Name)
				for _, k := range sortedKeys(data) {
					out = append(out, reference{ef.Prefix + k, data[k], fmt.Sprintf("ConfigMap %s key %s (envFrom of container %q)", ef.ConfigMapRef.Name, k, c.Name)})
				}
			}
			for i, a := range slices.Concat(c.Command, c.Args) {
				out = append(out, reference{"", a, fmt.Sprintf("argument %d of container %q", i, c.Name)})
			}
		}
	}
	for _, v := range pod.Spec.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		data := cm(v.ConfigMap.Name)
		for _, k := range sortedKeys(data) {
			// A config file: every line is a reference, so "host: postgres" counts.
			for _, line := range strings.Split(data[k], "\n") {
				key, val, ok := strings.Cut(line, ":")
				if !ok {
					key, val, ok = strings.Cut(line, "=")
				}
				if !ok {
					key, val = "", line
				}
				out = append(out, reference{strings.TrimSpace(key), strings.Trim(strings.TrimSpace(val), `"'`), fmt.Sprintf("ConfigMap %s key %s (volume %s)", v.ConfigMap.Name, k, v.Name)})
			}
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// build writes the policies of the plan.
func (p *Plan) build(m *reach.Model) {
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	port53 := intstr.FromInt32(53)
	byWorkload := map[reach.Endpoint]*reach.Workload{}
	for _, w := range m.Workloads {
		byWorkload[w.Ref()] = w
	}
	for _, ns := range p.Namespaces {
		deny := newPolicy(ns, "default-deny", metav1.LabelSelector{})
		deny.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		p.add(deny, "Deny all ingress and egress of every pod in "+ns+"; the policies below allow what the manifests need.")
		dns := newPolicy(ns, "allow-dns", metav1.LabelSelector{})
		dns.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
		dns.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
			To: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{reach.NamespaceNameLabel: dnsNamespace}},
				PodSelector:       &metav1.LabelSelector{MatchLabels: dnsLabels},
			}},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &port53}, {Protocol: &tcp, Port: &port53}},
		}}
		p.add(dns, "Every pod of "+ns+" may resolve names with kube-dns.")
		var ws []*reach.Workload
		for _, w := range m.Workloads {
			if w.Namespace == ns {
				ws = append(ws, w)
			}
		}
		for _, w := range ws {
			var in, out []Flow
			for _, f := range p.Flows {
				if f.Dst == w.Ref() {
					in = append(in, f)
				}
				if f.Src == w.Ref() && !isDNS(byWorkload[f.Dst]) {
					out = append(out, f)
				}
			}
			if len(in)+len(out) == 0 {
				continue
			}
			np := newPolicy(ns, strings.ToLower(w.Name), metav1.LabelSelector{MatchLabels: w.Labels})
			var lines []string
			if len(in) > 0 {
				np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
			}
			if len(out) > 0 {
				np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
			}
			for _, f := range in {
				np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{
					From:  []networkingv1.NetworkPolicyPeer{peerOf(ns, byWorkload[f.Src])},
					Ports: policyPorts(f.Ports),
				})
				lines = append(lines, fmt.Sprintf("from %s on %s: %s", f.Src, f.Ports, strings.Join(f.Why, "; ")))
			}
			for _, f := range out {
				np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{
					To:    []networkingv1.NetworkPolicyPeer{peerOf(ns, byWorkload[f.Dst])},
					Ports: policyPorts(f.Ports),
				})
				lines = append(lines, fmt.Sprintf("to %s on %s: %s", f.Dst, f.Ports, strings.Join(f.Why, "; ")))
			}
			p.add(np, append([]string{fmt.Sprintf("%s %s:", w.Kind, w.Name)}, lines...)...)
			sel := labels.SelectorFromSet(w.Labels)
			for _, o := range ws {
				if o != w && sel.Matches(labels.Set(o.Labels)) {
					p.Notes = append(p.Notes, fmt.Sprintf("policy %s/%s selects %s %s too (its pod labels include those of %s %s): give the workloads distinct labels.", ns, np.Name, o.Kind, o.Name, w.Kind, w.Name))
				}
			}
		}
	}
}

func isDNS(w *reach.Workload) bool {
	return w != nil && w.Namespace == dnsNamespace && labels.SelectorFromSet(dnsLabels).Matches(labels.Set(w.Labels))
}

func (p *Plan) add(np *networkingv1.NetworkPolicy, comment ...string) {
	p.Policies = append(p.Policies, np)
	p.Comments[np.Namespace+"/"+np.Name] = comment
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

// WriteYAML writes the plan's policies as a YAML stream, each with its comment.
func WriteYAML(w io.Writer, p *Plan) error {
	var b strings.Builder
	b.WriteString("# NetworkPolicies generated by `moat netpol generate` from the manifests.\n# Review them before applying: they allow only the connections Moat inferred.\n")
	for i, np := range p.Policies {
		if i > 0 {
			b.WriteString("---\n")
		}
		for _, c := range p.Comments[np.Namespace+"/"+np.Name] {
			b.WriteString("# " + c + "\n")
		}
		data, err := yaml.Marshal(np)
		if err != nil {
			return err
		}
		for _, line := range strings.SplitAfter(string(data), "\n") {
			if strings.TrimSpace(line) == "creationTimestamp: null" {
				continue
			}
			b.WriteString(line)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

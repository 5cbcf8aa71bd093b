package reach

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/owners"
	"github.com/moat-dev/moat/internal/podspec"
)

// NamespaceNameLabel is the label the API server puts on every namespace, holding its name.
const NamespaceNameLabel = corev1.LabelMetadataName

// Model is what reachability depends on: namespaces with their labels, workloads with
// their pod labels, ports and (from a cluster) pod IPs, and the policies.
type Model struct {
	// Namespaces maps a namespace name to its labels (NamespaceNameLabel always included).
	Namespaces map[string]map[string]string
	Workloads  []*Workload
	Policies   []*Policy
	// Admin holds the AdminNetworkPolicies, sorted by priority then name.
	Admin []*AdminPolicy
	// Baseline holds the BaselineAdminNetworkPolicies (the API allows one, "default").
	Baseline []*AdminPolicy
	// Tiers are the Calico tiers named by Tier objects, by name.
	Tiers map[string]Tier
	// NetworkSets are Calico NetworkSets and GlobalNetworkSets: labelled lists of
	// addresses that Calico selectors match besides pods.
	NetworkSets []NetworkSet
	// ServiceAccounts holds the labels of each ServiceAccount ("NAMESPACE/NAME"), which
	// Calico's serviceAccountSelector and serviceAccounts match.
	ServiceAccounts map[string]map[string]string
	// Services holds the pod selector of each Service ("NAMESPACE/NAME"), which Calico's
	// services match; a Service without a selector is absent.
	Services map[string]map[string]string
	// Skipped are the policies left out: the engine does not evaluate them, so they
	// isolate nothing and allow nothing.
	Skipped []Skipped
	// Warnings are problems with objects that were left out (an invalid selector).
	Warnings []string
}

// Skipped is a policy the engine left out, and why.
type Skipped struct {
	Kind, Namespace, Name string
	Obj                   *inventory.Object
	Reason                string
}

// Title names the policy as a sentence does: "CiliumNetworkPolicy shop/api".
func (s Skipped) Title() string {
	if s.Namespace == "" {
		return s.Kind + " " + s.Name
	}
	return s.Kind + " " + s.Namespace + "/" + s.Name
}

// Tier is a Calico tier: policies of lower tiers are evaluated first, and Pass hands
// traffic to the next tier.
type Tier struct {
	Name  string
	Order float64
	// Unordered is a tier with no order: Calico evaluates it last.
	Unordered bool
	// PassByDefault is a tier whose defaultAction is Pass: traffic no rule decides goes
	// on to the next tier instead of being denied.
	PassByDefault bool
}

// NetworkSet is a Calico NetworkSet (Namespace set) or GlobalNetworkSet: addresses that
// Calico selectors match by the set's labels.
type NetworkSet struct {
	Namespace, Name string
	Labels          map[string]string
	Nets            []netip.Prefix
}

// Workload is a node of the graph: a pod controller or a bare pod.
type Workload struct {
	Namespace, Kind, Name string
	Labels                map[string]string
	Ports                 []ContainerPort
	// IPs are the pod IPs, known only for pods read from a cluster.
	IPs []netip.Addr
	// ServiceAccount is spec.serviceAccountName ("default" when unset): Cilium and Calico
	// select by it.
	ServiceAccount string
	Obj            *inventory.Object
	// Group is the workload its pods belong to (package owners): a pod's Deployment, a
	// controller itself. Via are the controllers between a pod and its group.
	Group owners.Ref
	Via   []owners.Ref
	// Pods is how many pods read from the input the workload stands for: 1 for a pod, the
	// pods lent to a controller, 0 for a controller from manifests.
	Pods int
}

// Ref is the endpoint the workload is.
func (w *Workload) Ref() Endpoint {
	return Endpoint{Namespace: w.Namespace, Kind: w.Kind, Name: w.Name}
}

// ContainerPort is a port a container declares; named ports resolve against these.
type ContainerPort struct {
	Name     string
	Port     int32
	Protocol Protocol
}

// Flavor is the policy API a Policy comes from.
type Flavor uint8

const (
	// Kubernetes is networking.k8s.io/v1 NetworkPolicy.
	Kubernetes Flavor = iota
	// Cilium is cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.
	Cilium
	// Calico is crd.projectcalico.org/v1 (or projectcalico.org/v3) NetworkPolicy and
	// GlobalNetworkPolicy.
	Calico
)

// Policy is a policy in the form the engine evaluates: a networking.k8s.io/v1
// NetworkPolicy, or the L3/L4 part of a Cilium or Calico policy (see cilium.go and
// calico.go for what is evaluated of those).
type Policy struct {
	// Namespace is empty for a cluster-wide policy.
	Namespace, Name string
	Obj             *inventory.Object
	// Kind is the kind as written (NetworkPolicy, CiliumNetworkPolicy, GlobalNetworkPolicy...).
	Kind   string
	Flavor Flavor
	// Selector is a NetworkPolicy's podSelector, over the pods of Namespace. Other
	// flavors select with Subject and have Selector labels.Nothing().
	Selector labels.Selector
	// Subject selects the pods a Cilium or Calico policy applies to (nil for a NetworkPolicy).
	Subject func(*EndpointInfo) bool
	// SubjectText and SubjectPath describe the selector for messages: its text and field.
	SubjectText, SubjectPath string
	// AllPodsOf reports a Cilium or Calico policy that selects every pod of a
	// namespace, present and future, for namespace-wide checks (nil for a NetworkPolicy).
	AllPodsOf func(ns string, nsLabels map[string]string) bool
	// Ingress and Egress are the policy types after defaulting: the directions in
	// which its rules apply.
	Ingress, Egress bool
	// NoDefaultDenyIngress and NoDefaultDenyEgress are set for a Cilium policy with
	// enableDefaultDeny false: its rules apply, but it isolates nothing.
	NoDefaultDenyIngress, NoDefaultDenyEgress bool
	// IngressRules and EgressRules hold the rules in evaluation order; Cilium's
	// ingressDeny and egressDeny rules are among them with Action Deny.
	IngressRules, EgressRules []*Rule
	// Tier and Order place a Calico policy in evaluation order (tier "default" for
	// the others, whose order is 1000, the order Calico gives Kubernetes policies).
	Tier  string
	Order float64
	// Unordered is a Calico policy without order: evaluated after the ordered ones.
	Unordered bool
	// Part is, for one entry of a CiliumNetworkPolicy's specs list, "specs[N]".
	Part string
	// Unevaluated lists what the engine did not evaluate in this policy, in words
	// ("toFQDNs in spec.egress[0]"); findings about it say so.
	Unevaluated []string
}

// Ref names the policy as "NAMESPACE/NAME" (NAME for a cluster-wide policy).
func (p *Policy) Ref() string {
	if p.Namespace == "" {
		return p.Name
	}
	return p.Namespace + "/" + p.Name
}

// Title names the policy with its kind: "NetworkPolicy shop/api", "Calico
// NetworkPolicy shop/api", "CiliumClusterwideNetworkPolicy default-deny".
func (p *Policy) Title() string {
	kind := p.Kind
	if p.Flavor == Calico && kind == "NetworkPolicy" {
		kind = "Calico NetworkPolicy"
	}
	t := kind + " " + p.Ref()
	if p.Part != "" {
		t += " " + p.Part
	}
	return t
}

// IsolatesIngress and IsolatesEgress report a policy that puts the pods it selects in
// default deny for that direction.
func (p *Policy) IsolatesIngress() bool { return p.Ingress && !p.NoDefaultDenyIngress }

// IsolatesEgress: see IsolatesIngress.
func (p *Policy) IsolatesEgress() bool { return p.Egress && !p.NoDefaultDenyEgress }

// SelectsAllOf reports whether the policy selects every pod of namespace ns, present
// and future: a NetworkPolicy with podSelector {} in it, a Cilium or Calico policy
// whose selector only asks about the namespace.
func (p *Policy) SelectsAllOf(ns string, nsLabels map[string]string) bool {
	if p.AllPodsOf != nil {
		return p.AllPodsOf(ns, nsLabels)
	}
	return p.Subject == nil && p.Namespace == ns && p.Selector.Empty()
}

// Rule is one ingress or egress rule.
type Rule struct {
	// Index is the rule's position in its list (spec.ingress, spec.egressDeny...).
	Index int
	// Field is the rule's path, "spec.ingress[0]"; empty means spec.ingress[Index] or
	// spec.egress[Index] by direction.
	Field string
	// Action is what the rule does with what it matches: Allow (the only action of a
	// NetworkPolicy and of Cilium's ingress and egress), Deny, Pass or Log (Calico).
	Action Action
	// AnyPeer is set when from/to is absent or empty: every source or destination.
	AnyPeer bool
	Peers   []Peer
	Ports   PortSpecs
	// NotPorts are ports the rule does not match (Calico notPorts, notProtocol).
	NotPorts PortSpecs
	// Self restricts a Calico rule to some of the endpoints its policy selects (the
	// destination of an ingress rule, the source of an egress rule); nil: all.
	Self func(*EndpointInfo) bool
}

// FieldIn is the rule's path given its direction.
func (r *Rule) FieldIn(ingress bool) string {
	if r.Field != "" {
		return r.Field
	}
	if ingress {
		return fmt.Sprintf("spec.ingress[%d]", r.Index)
	}
	return fmt.Sprintf("spec.egress[%d]", r.Index)
}

// action is the rule's action, Allow when unset.
func (r *Rule) action() Action {
	if r.Action == "" {
		return Allow
	}
	return r.Action
}

// Peer is one NetworkPolicyPeer. For an ipBlock peer IPBlock is set and the selectors nil.
// A Cilium or Calico peer sets Match instead.
type Peer struct {
	// Pod selects pods (nil: absent). Without Namespace, in the policy's namespace.
	Pod labels.Selector
	// Namespace selects namespaces (nil: absent).
	Namespace labels.Selector
	IPBlock   *IPBlock
	// Match decides, for a Cilium or Calico peer, which endpoints (pods and outside
	// ranges) it matches; Key identifies it (equal keys match alike).
	Match func(*EndpointInfo) bool
	Key   string
	// Nets are the CIDRs Match asks about, which split the outside into ranges.
	Nets []netip.Prefix
	// policyNS is the namespace of the policy, for a podSelector alone.
	policyNS string
}

// IPBlock is a CIDR with exceptions.
type IPBlock struct {
	CIDR   netip.Prefix
	Except []netip.Prefix
}

// Contains reports whether ip is in the block and in none of its exceptions.
func (b *IPBlock) Contains(ip netip.Addr) bool {
	if !b.CIDR.Contains(ip) {
		return false
	}
	for _, e := range b.Except {
		if e.Contains(ip) {
			return false
		}
	}
	return true
}

func (b *IPBlock) String() string {
	if len(b.Except) == 0 {
		return b.CIDR.String()
	}
	var ex []string
	for _, e := range b.Except {
		ex = append(ex, e.String())
	}
	return b.CIDR.String() + " except " + strings.Join(ex, ", ")
}

// PortSpec is one port entry of a rule: a number or range, or a named port, of one protocol.
type PortSpec struct {
	Protocol Protocol
	// Port..End is the range; Port 0 means every port of the protocol.
	Port, End int32
	// Named is a container port name, resolved against the destination pod.
	Named string
	// AnyProtocol makes a named port match a container port of any protocol, as the
	// namedPort of an admin policy does; a NetworkPolicy's named port names its protocol.
	AnyProtocol bool
}

// PortSpecs is the ports list of a rule; nil means every port.
type PortSpecs []PortSpec

// hasNamed reports a named port in the list.
func (ps PortSpecs) hasNamed() bool {
	return slices.ContainsFunc(ps, func(p PortSpec) bool { return p.Named != "" })
}

// Resolve gives the ports the list allows towards a destination with these container
// ports (nil for a destination outside the cluster, where named ports match nothing).
func (ps PortSpecs) Resolve(dst []ContainerPort) PortSet {
	if ps == nil {
		return AllPorts()
	}
	var out PortSet
	for _, p := range ps {
		switch {
		case p.Named != "":
			for _, c := range dst {
				if c.Name == p.Named && (p.AnyProtocol || c.Protocol == p.Protocol) {
					out = out.Union(Port(c.Protocol, c.Port))
				}
			}
		case p.Port == 0:
			out = out.Union(ProtocolPorts(p.Protocol))
		default:
			out = out.Union(PortRange(p.Protocol, p.Port, max(p.End, p.Port)))
		}
	}
	return out
}

func (ps PortSpecs) String() string {
	if ps == nil {
		return "all ports"
	}
	var s []string
	for _, p := range ps {
		switch {
		case p.Named != "":
			s = append(s, fmt.Sprintf("%s/%s", p.Protocol, p.Named))
		case p.Port == 0:
			s = append(s, p.Protocol.String()+"/any")
		case p.End > p.Port:
			s = append(s, fmt.Sprintf("%s/%d-%d", p.Protocol, p.Port, p.End))
		default:
			s = append(s, fmt.Sprintf("%s/%d", p.Protocol, p.Port))
		}
	}
	return strings.Join(s, ", ")
}

// ModelOptions say what the workloads of a model are.
type ModelOptions struct {
	// PodsApart makes every pod read a workload of its own, with its Group, and a
	// controller a workload only when none of the pods of its group was read: the pods
	// then stand for it, each with its own labels and IPs, and Analysis.OwnerRows groups
	// them back. Without it a pod whose controller is in the input is folded into the
	// controller (which takes its IPs), and every other pod is a workload.
	PodsApart bool
}

// FromInventory builds the model of an inventory: every Namespace (and every namespace
// an object names), every workload on the pod network, every NetworkPolicy, and the
// AdminNetworkPolicies and BaselineAdminNetworkPolicies.
func FromInventory(inv *inventory.Inventory) *Model {
	return FromInventoryWith(inv, ModelOptions{})
}

// FromInventoryWith is FromInventory with options.
func FromInventoryWith(inv *inventory.Inventory, opt ModelOptions) *Model {
	m := &Model{Namespaces: map[string]map[string]string{}}
	for _, o := range inv.Kind("Namespace") {
		ns, ok := o.Obj.(*corev1.Namespace)
		if !ok {
			continue
		}
		l := map[string]string{}
		for k, v := range ns.Labels {
			l[k] = v
		}
		l[NamespaceNameLabel] = ns.Name
		m.Namespaces[ns.Name] = l
	}
	addNS := func(ns string) {
		if _, ok := m.Namespaces[ns]; !ok {
			m.Namespaces[ns] = map[string]string{NamespaceNameLabel: ns}
		}
	}
	byUID := map[string]*Workload{}
	var pods []*inventory.Object
	ix := owners.NewIndex(inv)
	for _, o := range inv.Objects {
		if o.Kind() == "PodTemplate" {
			continue
		}
		p, ok := podspec.Of(o)
		if !ok || p.Spec.HostNetwork {
			continue
		}
		ns := o.EffectiveNamespace()
		_, isPod := o.Obj.(*corev1.Pod)
		if ctrl := metav1.GetControllerOf(o.Meta); ctrl != nil && !(isPod && opt.PodsApart) && inv.Find(ctrl.Kind, ns, ctrl.Name) != nil {
			if isPod {
				pods = append(pods, o)
			}
			continue
		}
		addNS(ns)
		w := &Workload{Namespace: ns, Kind: o.Kind(), Name: o.Name(), Labels: p.Meta.Labels, ServiceAccount: p.Spec.ServiceAccountName, Obj: o}
		w.Group, w.Via = ix.Of(o)
		if w.ServiceAccount == "" {
			w.ServiceAccount = p.Spec.DeprecatedServiceAccount
		}
		if w.ServiceAccount == "" {
			w.ServiceAccount = "default"
		}
		for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
			for _, c := range cs {
				for _, cp := range c.Ports {
					proto, err := ParseProtocol(string(cp.Protocol))
					if err != nil {
						continue
					}
					w.Ports = append(w.Ports, ContainerPort{Name: cp.Name, Port: cp.ContainerPort, Protocol: proto})
				}
			}
		}
		if pod, ok := o.Obj.(*corev1.Pod); ok {
			w.IPs = podIPs(pod)
			w.Pods = 1
		}
		if uid := string(o.Meta.GetUID()); uid != "" {
			byUID[uid] = w
		}
		m.Workloads = append(m.Workloads, w)
	}
	// Pods owned by a workload in the inventory (read from a cluster) lend it their IPs.
	for _, o := range pods {
		if w := ownerWorkload(inv, byUID, o); w != nil {
			w.IPs = append(w.IPs, podIPs(o.Obj.(*corev1.Pod))...)
			w.Pods++
		}
	}
	if opt.PodsApart {
		m.Workloads = dropRepresented(m.Workloads)
	}
	for _, o := range inv.Kind("NetworkPolicy") {
		np, ok := o.Obj.(*networkingv1.NetworkPolicy)
		if !ok {
			continue
		}
		addNS(o.EffectiveNamespace())
		p, err := parsePolicy(np, o)
		if err != nil {
			m.skip(o, o.EffectiveNamespace(), err)
			continue
		}
		m.Policies = append(m.Policies, p)
	}
	m.addForeign(inv, addNS)
	for _, p := range m.Policies {
		if len(p.Unevaluated) > 0 {
			m.Warnings = append(m.Warnings, fmt.Sprintf("%s: not evaluated: %s", p.Title(), strings.Join(p.Unevaluated, "; ")))
		}
	}
	for _, o := range inv.Objects {
		if o.GVK.Group != AdminGroup {
			continue
		}
		baseline := o.Kind() == "BaselineAdminNetworkPolicy"
		if !baseline && o.Kind() != "AdminNetworkPolicy" {
			continue
		}
		ap, err := ParseAdminObject(o)
		if err != nil {
			m.Warnings = append(m.Warnings, fmt.Sprintf("%s %s left out: %v", o.Kind(), o.Name(), err))
			continue
		}
		if baseline {
			m.Baseline = append(m.Baseline, ap)
		} else {
			m.Admin = append(m.Admin, ap)
		}
	}
	m.Sort()
	return m
}

// skip records a policy left out.
func (m *Model) skip(o *inventory.Object, ns string, err error) {
	s := Skipped{Kind: o.Kind(), Namespace: ns, Name: o.Name(), Obj: o, Reason: err.Error()}
	if o.GVK.Group == "crd.projectcalico.org" || o.GVK.Group == "projectcalico.org" {
		if s.Kind == "NetworkPolicy" {
			s.Kind = "Calico NetworkPolicy"
		}
	}
	m.Skipped = append(m.Skipped, s)
	m.Warnings = append(m.Warnings, fmt.Sprintf("%s left out: %v", s.Title(), err))
}

// Sort puts the admin policies in evaluation order and the workloads in output order.
func (m *Model) Sort() {
	slices.SortStableFunc(m.Admin, func(a, b *AdminPolicy) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), strings.Compare(a.Name, b.Name))
	})
	slices.SortStableFunc(m.Workloads, func(a, b *Workload) int { return compareEndpoints(a.Ref(), b.Ref()) })
}

// dropRepresented leaves out the controllers whose group has pods among the workloads:
// the pods stand for them.
func dropRepresented(ws []*Workload) []*Workload {
	type groupKey struct {
		ns string
		g  owners.Ref
	}
	withPods := map[groupKey]bool{}
	for _, w := range ws {
		if w.Kind == "Pod" {
			withPods[groupKey{w.Namespace, w.Group}] = true
		}
	}
	return slices.DeleteFunc(ws, func(w *Workload) bool {
		return w.Kind != "Pod" && withPods[groupKey{w.Namespace, w.Group}]
	})
}

func podIPs(p *corev1.Pod) []netip.Addr {
	var out []netip.Addr
	seen := map[string]bool{}
	add := func(s string) {
		if s == "" || seen[s] {
			return
		}
		seen[s] = true
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a.Unmap())
		}
	}
	add(p.Status.PodIP)
	for _, ip := range p.Status.PodIPs {
		add(ip.IP)
	}
	return out
}

// ownerWorkload follows controller references up from a pod to the workload that
// stands for it (a Deployment through its ReplicaSet).
func ownerWorkload(inv *inventory.Inventory, byUID map[string]*Workload, o *inventory.Object) *Workload {
	for range 4 {
		ctrl := metav1.GetControllerOf(o.Meta)
		if ctrl == nil {
			return nil
		}
		if w := byUID[string(ctrl.UID)]; w != nil {
			return w
		}
		next := inv.Find(ctrl.Kind, o.EffectiveNamespace(), ctrl.Name)
		if next == nil {
			return nil
		}
		o = next
	}
	return nil
}

// parsePolicy turns a NetworkPolicy into its evaluated form, with the API's defaults:
// policyTypes absent means Ingress, plus Egress when egress rules are given.
func parsePolicy(np *networkingv1.NetworkPolicy, o *inventory.Object) (*Policy, error) {
	ns := np.Namespace
	if o != nil {
		ns = o.EffectiveNamespace()
	}
	sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
	if err != nil {
		return nil, fmt.Errorf("spec.podSelector: %w", err)
	}
	p := &Policy{Namespace: ns, Name: np.Name, Obj: o, Kind: "NetworkPolicy", Selector: sel, Tier: DefaultTier, Order: k8sOrder}
	if len(np.Spec.PolicyTypes) == 0 {
		p.Ingress, p.Egress = true, len(np.Spec.Egress) > 0
	}
	for _, t := range np.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			p.Ingress = true
		case networkingv1.PolicyTypeEgress:
			p.Egress = true
		default:
			return nil, fmt.Errorf("spec.policyTypes: unknown type %q", t)
		}
	}
	for i, r := range np.Spec.Ingress {
		rule, err := parseRule(i, r.From, r.Ports, ns)
		if err != nil {
			return nil, fmt.Errorf("spec.ingress[%d]: %w", i, err)
		}
		p.IngressRules = append(p.IngressRules, rule)
	}
	for i, r := range np.Spec.Egress {
		rule, err := parseRule(i, r.To, r.Ports, ns)
		if err != nil {
			return nil, fmt.Errorf("spec.egress[%d]: %w", i, err)
		}
		p.EgressRules = append(p.EgressRules, rule)
	}
	return p, nil
}

func parseRule(i int, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, ns string) (*Rule, error) {
	r := &Rule{Index: i, AnyPeer: len(peers) == 0}
	for _, pe := range peers {
		var p Peer
		p.policyNS = ns
		if pe.IPBlock != nil {
			b, err := parseIPBlock(pe.IPBlock.CIDR, pe.IPBlock.Except)
			if err != nil {
				return nil, err
			}
			p.IPBlock = b
			r.Peers = append(r.Peers, p)
			continue
		}
		if pe.PodSelector == nil && pe.NamespaceSelector == nil {
			return nil, fmt.Errorf("a peer sets none of podSelector, namespaceSelector, ipBlock")
		}
		var err error
		if pe.PodSelector != nil {
			if p.Pod, err = metav1.LabelSelectorAsSelector(pe.PodSelector); err != nil {
				return nil, fmt.Errorf("podSelector: %w", err)
			}
		}
		if pe.NamespaceSelector != nil {
			if p.Namespace, err = metav1.LabelSelectorAsSelector(pe.NamespaceSelector); err != nil {
				return nil, fmt.Errorf("namespaceSelector: %w", err)
			}
		}
		r.Peers = append(r.Peers, p)
	}
	if len(ports) > 0 {
		r.Ports = PortSpecs{}
	}
	for _, np := range ports {
		proto := TCP
		if np.Protocol != nil {
			var err error
			if proto, err = ParseProtocol(string(*np.Protocol)); err != nil {
				return nil, err
			}
		}
		ps := PortSpec{Protocol: proto}
		if np.Port != nil {
			if np.Port.Type == intstr.String {
				ps.Named = np.Port.StrVal
			} else {
				ps.Port = np.Port.IntVal
				if ps.Port < MinPort || ps.Port > MaxPort {
					return nil, fmt.Errorf("port %d out of range", ps.Port)
				}
				if np.EndPort != nil {
					if *np.EndPort < ps.Port {
						return nil, fmt.Errorf("endPort %d below port %d", *np.EndPort, ps.Port)
					}
					ps.End = *np.EndPort
				}
			}
		}
		r.Ports = append(r.Ports, ps)
	}
	return r, nil
}

func parseIPBlock(cidr string, except []string) (*IPBlock, error) {
	c, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, fmt.Errorf("ipBlock.cidr: %w", err)
	}
	b := &IPBlock{CIDR: c.Masked()}
	for _, e := range except {
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return nil, fmt.Errorf("ipBlock.except: %w", err)
		}
		b.Except = append(b.Except, p.Masked())
	}
	return b, nil
}

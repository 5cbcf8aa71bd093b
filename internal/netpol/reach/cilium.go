package reach

// The L3/L4 subset of cilium.io/v2 CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy,
// as the Cilium documentation defines it (docs.cilium.io, "Policy Enforcement Modes",
// "Layer 3 Examples", "Layer 4 Examples", "Deny Policies", "Using Kubernetes Constructs
// in Policy"):
//
//   - endpointSelector selects pods by their labels; a key may carry a source prefix
//     (k8s:, any:); io.kubernetes.pod.namespace is the pod's namespace,
//     io.cilium.k8s.namespace.labels.KEY its namespace's labels,
//     io.cilium.k8s.policy.serviceaccount its service account. A CiliumNetworkPolicy
//     selects in its own namespace; a clusterwide one in every namespace. A
//     nodeSelector selects nodes, which are not in the graph: that entry is left out.
//   - A policy that selects a pod and has an ingress (or ingressDeny) section puts the
//     pod in default deny for ingress, and likewise for egress, unless
//     enableDefaultDeny says false for that direction: then its rules still apply but
//     isolate nothing. An absent or empty section does not apply.
//   - A rule allows its L3 peers (fromEndpoints, fromCIDR, fromCIDRSet with except,
//     fromEntities, and the to* forms) on its toPorts; without L3 peers it allows every
//     peer on its toPorts; with neither (`- {}`) it allows nothing. In a
//     CiliumNetworkPolicy an endpoint selector without a namespace key selects in the
//     policy's namespace; a clusterwide policy's selects in every namespace.
//   - Ports: protocol TCP, UDP, SCTP or ANY (empty); port 0 or none is every port; a
//     name resolves against the destination's container ports; endPort makes a range.
//   - CIDR rules never match pods (Cilium applies them only to peers it does not
//     manage). Entities: world (world-ipv4, world-ipv6) is outside the cluster, cluster
//     every pod, all everything; host, remote-node, kube-apiserver, health, init,
//     ingress and unmanaged are not in the graph.
//   - Deny rules (ingressDeny, egressDeny) win over every allow, whatever the kind of
//     the policy that allows.
//
// Not evaluated, and said so in Policy.Unevaluated: L7 rules, TLS and listener
// settings of toPorts (the port counts as allowed: L7 only narrows it), toFQDNs,
// toServices, fromNodes/toNodes, from/toGroups, CIDR groups, the entities that are not
// in the graph (these match nothing here), fromRequires/toRequires and authentication
// (ignored: the rule counts as allowing more), ICMP.

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/moat-dev/moat/internal/inventory"
)

// CiliumGroup is the API group of CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.
const CiliumGroup = "cilium.io"

// DefaultTier is the tier of every policy that names none, and of NetworkPolicies.
const DefaultTier = "default"

// k8sOrder is the order Calico gives a Kubernetes NetworkPolicy; Cilium policies,
// which have no order, take it too.
const k8sOrder = 1000

type cnpObject struct {
	Spec  *cnpRule  `json:"spec"`
	Specs []cnpRule `json:"specs"`
}

type cnpRule struct {
	EndpointSelector  *metav1.LabelSelector `json:"endpointSelector"`
	NodeSelector      *metav1.LabelSelector `json:"nodeSelector"`
	Ingress           []cnpPeerRule         `json:"ingress"`
	IngressDeny       []cnpPeerRule         `json:"ingressDeny"`
	Egress            []cnpPeerRule         `json:"egress"`
	EgressDeny        []cnpPeerRule         `json:"egressDeny"`
	EnableDefaultDeny *struct {
		Ingress *bool `json:"ingress"`
		Egress  *bool `json:"egress"`
	} `json:"enableDefaultDeny"`
}

type cnpCIDRRule struct {
	CIDR              string          `json:"cidr"`
	CIDRGroupRef      string          `json:"cidrGroupRef"`
	CIDRGroupSelector json.RawMessage `json:"cidrGroupSelector"`
	Except            []string        `json:"except"`
}

// cnpPeerRule holds both the ingress (from*) and egress (to*) fields.
type cnpPeerRule struct {
	FromEndpoints  []metav1.LabelSelector `json:"fromEndpoints"`
	ToEndpoints    []metav1.LabelSelector `json:"toEndpoints"`
	FromRequires   []json.RawMessage      `json:"fromRequires"`
	ToRequires     []json.RawMessage      `json:"toRequires"`
	FromCIDR       []string               `json:"fromCIDR"`
	ToCIDR         []string               `json:"toCIDR"`
	FromCIDRSet    []cnpCIDRRule          `json:"fromCIDRSet"`
	ToCIDRSet      []cnpCIDRRule          `json:"toCIDRSet"`
	FromEntities   []string               `json:"fromEntities"`
	ToEntities     []string               `json:"toEntities"`
	FromNodes      []json.RawMessage      `json:"fromNodes"`
	ToNodes        []json.RawMessage      `json:"toNodes"`
	FromGroups     []json.RawMessage      `json:"fromGroups"`
	ToGroups       []json.RawMessage      `json:"toGroups"`
	ToServices     []json.RawMessage      `json:"toServices"`
	ToFQDNs        []json.RawMessage      `json:"toFQDNs"`
	ToPorts        []cnpPortRule          `json:"toPorts"`
	ICMPs          []json.RawMessage      `json:"icmps"`
	Authentication json.RawMessage        `json:"authentication"`
}

type cnpPortRule struct {
	Ports []struct {
		Port     flexString `json:"port"`
		EndPort  int32      `json:"endPort"`
		Protocol string     `json:"protocol"`
	} `json:"ports"`
	Rules          json.RawMessage `json:"rules"`
	TerminatingTLS json.RawMessage `json:"terminatingTLS"`
	OriginatingTLS json.RawMessage `json:"originatingTLS"`
	ServerNames    []string        `json:"serverNames"`
	Listener       json.RawMessage `json:"listener"`
}

// flexString reads a JSON string or number ("80" and 80 are the same port).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %s", b)
	}
	*f = flexString(n.String())
	return nil
}

func present(r json.RawMessage) bool { return len(r) > 0 && string(r) != "null" }

// unstructuredJSON is the JSON of an object kept as unstructured.
func unstructuredJSON(o *inventory.Object) ([]byte, error) {
	u, ok := o.Obj.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("not an unstructured object")
	}
	return json.Marshal(u.Object)
}

// parseCilium reads a CiliumNetworkPolicy (namespace set) or a
// CiliumClusterwideNetworkPolicy (namespace ""): one Policy per entry of spec and specs.
// Entries that select nodes are left out with a reason in skipped.
func parseCilium(data []byte, kind, ns, name string, o *inventory.Object) (out []*Policy, skipped []string, err error) {
	var w cnpObject
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, nil, err
	}
	type entry struct {
		r    cnpRule
		part string
	}
	var entries []entry
	if w.Spec != nil {
		entries = append(entries, entry{*w.Spec, ""})
	}
	for i, r := range w.Specs {
		entries = append(entries, entry{r, fmt.Sprintf("specs[%d]", i)})
	}
	if len(entries) == 0 {
		return nil, nil, fmt.Errorf("neither spec nor specs is set")
	}
	for _, e := range entries {
		base := "spec"
		if e.part != "" {
			base = e.part
		}
		if e.r.EndpointSelector == nil {
			if e.r.NodeSelector != nil {
				skipped = append(skipped, base+" selects nodes (a host policy): nodes are not in the graph")
				continue
			}
			return nil, nil, fmt.Errorf("%s: endpointSelector is required", base)
		}
		p, err := parseCiliumRule(e.r, kind, ns, name, base, o)
		if err != nil {
			return nil, nil, err
		}
		p.Part = e.part
		out = append(out, p)
	}
	return out, skipped, nil
}

func parseCiliumRule(r cnpRule, kind, ns, name, base string, o *inventory.Object) (*Policy, error) {
	sel, err := ciliumSelector(*r.EndpointSelector)
	if err != nil {
		return nil, fmt.Errorf("%s.endpointSelector: %w", base, err)
	}
	p := &Policy{Namespace: ns, Name: name, Obj: o, Kind: kind, Flavor: Cilium, Selector: labels.Nothing(),
		SubjectText: sel.String(), SubjectPath: base + ".endpointSelector", Tier: DefaultTier, Order: k8sOrder}
	if p.SubjectText == "" {
		p.SubjectText = "{}"
	}
	p.Subject = func(e *EndpointInfo) bool {
		return e.Pod && (ns == "" || e.Namespace == ns) && sel.Matches(e.ciliumLabels())
	}
	// The selector selects all of a namespace when it asks only about the namespace.
	nsOnly := true
	if reqs, ok := sel.Requirements(); ok {
		for _, q := range reqs {
			if k := q.Key(); k != ciliumNamespaceLabel && !strings.HasPrefix(k, ciliumNSLabelsPrefix) && k != ciliumClusterLabel {
				nsOnly = false
			}
		}
	}
	if nsOnly {
		p.AllPodsOf = func(n string, nsLabels map[string]string) bool {
			return p.Subject(&EndpointInfo{Pod: true, Namespace: n, NamespaceLabels: nsLabels, Labels: labels.Set{}, ServiceAccount: "default"})
		}
	} else {
		p.AllPodsOf = func(string, map[string]string) bool { return false }
	}
	p.Ingress = len(r.Ingress)+len(r.IngressDeny) > 0
	p.Egress = len(r.Egress)+len(r.EgressDeny) > 0
	if d := r.EnableDefaultDeny; d != nil {
		p.NoDefaultDenyIngress = d.Ingress != nil && !*d.Ingress
		p.NoDefaultDenyEgress = d.Egress != nil && !*d.Egress
	}
	for _, sec := range []struct {
		field   string
		rules   []cnpPeerRule
		ingress bool
		action  Action
	}{
		{"ingress", r.Ingress, true, Allow},
		{"ingressDeny", r.IngressDeny, true, Deny},
		{"egress", r.Egress, false, Allow},
		{"egressDeny", r.EgressDeny, false, Deny},
	} {
		for i, pr := range sec.rules {
			field := fmt.Sprintf("%s.%s[%d]", base, sec.field, i)
			rule, err := parseCiliumPeerRule(p, pr, sec.ingress, sec.action, field)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", field, err)
			}
			rule.Index = i
			if sec.ingress {
				p.IngressRules = append(p.IngressRules, rule)
			} else {
				p.EgressRules = append(p.EgressRules, rule)
			}
		}
	}
	return p, nil
}

func parseCiliumPeerRule(p *Policy, pr cnpPeerRule, ingress bool, action Action, field string) (*Rule, error) {
	r := &Rule{Field: field, Action: action}
	not := func(what string) { p.Unevaluated = append(p.Unevaluated, what+" in "+field) }
	endpoints, requires, cidrs, cidrSets, entities := pr.ToEndpoints, pr.ToRequires, pr.ToCIDR, pr.ToCIDRSet, pr.ToEntities
	nodes, groups := pr.ToNodes, pr.ToGroups
	dir := "to"
	if ingress {
		endpoints, requires, cidrs, cidrSets, entities = pr.FromEndpoints, pr.FromRequires, pr.FromCIDR, pr.FromCIDRSet, pr.FromEntities
		nodes, groups = pr.FromNodes, pr.FromGroups
		dir = "from"
	}
	l3 := len(endpoints)+len(cidrs)+len(cidrSets)+len(entities)+len(nodes)+len(groups) > 0
	if !ingress {
		l3 = l3 || len(pr.ToServices)+len(pr.ToFQDNs) > 0
		if len(pr.ToServices) > 0 {
			not("toServices")
		}
		if len(pr.ToFQDNs) > 0 {
			not("toFQDNs")
		}
	}
	if len(nodes) > 0 {
		not(dir + "Nodes")
	}
	if len(groups) > 0 {
		not(dir + "Groups")
	}
	if len(requires) > 0 {
		not(dir + "Requires")
	}
	if present(pr.Authentication) {
		not("authentication")
	}
	for j, ls := range endpoints {
		sel, err := ciliumSelector(ls)
		if err != nil {
			return nil, fmt.Errorf("%sEndpoints[%d]: %w", dir, j, err)
		}
		namespaced := p.Namespace != ""
		if reqs, ok := sel.Requirements(); ok {
			for _, q := range reqs {
				if q.Key() == ciliumNamespaceLabel || strings.HasPrefix(q.Key(), ciliumNSLabelsPrefix) {
					namespaced = false
				}
			}
		}
		ns := p.Namespace
		r.Peers = append(r.Peers, Peer{Key: fmt.Sprintf("cilium:%s:%t:%s", ns, namespaced, sel), Match: func(e *EndpointInfo) bool {
			return e.Pod && (!namespaced || e.Namespace == ns) && sel.Matches(e.ciliumLabels())
		}})
	}
	for _, c := range cidrs {
		pe, err := ciliumCIDR(c, nil)
		if err != nil {
			return nil, fmt.Errorf("%sCIDR: %w", dir, err)
		}
		r.Peers = append(r.Peers, pe)
	}
	for j, cs := range cidrSets {
		if cs.CIDR == "" {
			not(fmt.Sprintf("the CIDR group of %sCIDRSet[%d]", dir, j))
			continue
		}
		pe, err := ciliumCIDR(cs.CIDR, cs.Except)
		if err != nil {
			return nil, fmt.Errorf("%sCIDRSet[%d]: %w", dir, j, err)
		}
		r.Peers = append(r.Peers, pe)
	}
	for _, ent := range entities {
		switch strings.ToLower(ent) {
		case "all":
			r.Peers = append(r.Peers, Peer{Key: "cilium-entity:all", Match: func(*EndpointInfo) bool { return true }})
			r.AnyPeer = true
		case "cluster":
			r.Peers = append(r.Peers, Peer{Key: "cilium-entity:cluster", Match: func(e *EndpointInfo) bool { return e.Pod }})
		case "world":
			r.Peers = append(r.Peers, Peer{Key: "cilium-entity:world", Match: func(e *EndpointInfo) bool { return !e.Pod }})
		case "world-ipv4":
			r.Peers = append(r.Peers, Peer{Key: "cilium-entity:world4", Match: func(e *EndpointInfo) bool { return !e.Pod && e.Range.Addr().Is4() }})
		case "world-ipv6":
			r.Peers = append(r.Peers, Peer{Key: "cilium-entity:world6", Match: func(e *EndpointInfo) bool { return !e.Pod && e.Range.Addr().Is6() }})
		default:
			not(fmt.Sprintf("%sEntities %q (not in the graph)", dir, ent))
		}
	}
	// Ports: none given means every port; ICMP alone allows no TCP, UDP or SCTP port.
	switch {
	case len(pr.ToPorts) > 0:
		r.Ports = PortSpecs{}
		for j, tp := range pr.ToPorts {
			at := fmt.Sprintf("toPorts[%d]", j)
			if present(tp.Rules) {
				not("L7 rules of " + at)
			}
			if present(tp.TerminatingTLS) || present(tp.OriginatingTLS) || len(tp.ServerNames) > 0 || present(tp.Listener) {
				not("TLS, serverNames and listener settings of " + at)
			}
			if len(tp.Ports) == 0 {
				r.Ports = nil
				break
			}
			for k, pp := range tp.Ports {
				specs, err := ciliumPort(string(pp.Port), pp.EndPort, pp.Protocol)
				if err != nil {
					return nil, fmt.Errorf("%s.ports[%d]: %w", at, k, err)
				}
				r.Ports = append(r.Ports, specs...)
			}
		}
	case len(pr.ICMPs) > 0:
		not("icmps")
		r.Ports = PortSpecs{}
	}
	if !l3 {
		// An L4-only rule matches every peer; a rule with neither matches nothing.
		r.AnyPeer = len(pr.ToPorts) > 0 || len(pr.ICMPs) > 0
	}
	return r, nil
}

func ciliumCIDR(c string, except []string) (Peer, error) {
	b, err := parseIPBlock(c, except)
	if err != nil {
		return Peer{}, err
	}
	nets := append([]netip.Prefix{b.CIDR}, b.Except...)
	return Peer{Key: "cilium-cidr:" + b.String(), Nets: nets, Match: func(e *EndpointInfo) bool {
		return !e.Pod && b.Contains(e.Range.Addr())
	}}, nil
}

// ciliumPort reads one port of toPorts.
func ciliumPort(port string, end int32, proto string) (PortSpecs, error) {
	var protos []Protocol
	switch strings.ToUpper(proto) {
	case "", "ANY":
		protos = []Protocol{TCP, UDP, SCTP}
	default:
		p, err := ParseProtocol(proto)
		if err != nil {
			return nil, err
		}
		protos = []Protocol{p}
	}
	var out PortSpecs
	n, err := strconv.Atoi(port)
	switch {
	case port == "" || (err == nil && n == 0):
		for _, p := range protos {
			out = append(out, PortSpec{Protocol: p})
		}
	case err == nil:
		if n < MinPort || n > MaxPort {
			return nil, fmt.Errorf("port %d out of range", n)
		}
		if end != 0 && end < int32(n) {
			return nil, fmt.Errorf("endPort %d below port %d", end, n)
		}
		for _, p := range protos {
			out = append(out, PortSpec{Protocol: p, Port: int32(n), End: end})
		}
	default:
		if len(protos) > 1 {
			return PortSpecs{{Protocol: TCP, Named: port, AnyProtocol: true}}, nil
		}
		out = append(out, PortSpec{Protocol: protos[0], Named: port})
	}
	return out, nil
}

// ciliumSelector turns an endpoint selector into a label selector over ciliumLabels:
// the k8s: and any: source prefixes are dropped; a key of another source (reserved:,
// cidr:...) names no pod.
func ciliumSelector(ls metav1.LabelSelector) (labels.Selector, error) {
	c := metav1.LabelSelector{}
	if ls.MatchLabels != nil {
		c.MatchLabels = map[string]string{}
		for k, v := range ls.MatchLabels {
			c.MatchLabels[ciliumKey(k)] = v
		}
	}
	for _, e := range ls.MatchExpressions {
		e.Key = ciliumKey(e.Key)
		c.MatchExpressions = append(c.MatchExpressions, e)
	}
	return metav1.LabelSelectorAsSelector(&c)
}

func ciliumKey(k string) string {
	src, rest, ok := strings.Cut(k, ":")
	if !ok {
		return k
	}
	switch src {
	case "k8s", "any":
		return rest
	}
	// A label no pod of the graph carries.
	return "source.cilium.moat.invalid/" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, src) + "-x"
}

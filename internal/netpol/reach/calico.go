package reach

// The L3/L4 subset of Calico's NetworkPolicy and GlobalNetworkPolicy
// (crd.projectcalico.org/v1, or projectcalico.org/v3 through Calico's API server), as
// the Calico reference defines it (docs.tigera.io: "Network policy", "Global network
// policy", "Tier", "Rule", "EntityRule", "Selectors"):
//
//   - selector (default all()) selects the pods of the policy's namespace, or of every
//     namespace for a GlobalNetworkPolicy, whose namespaceSelector then narrows the
//     namespaces; serviceAccountSelector narrows to pods whose service account it
//     matches (projectcalico.org/name is the account's name).
//   - types defaults to Ingress, to Egress when only egress rules are given, and to
//     both when both are; a policy applies to the directions of its types.
//   - Evaluation: tiers by order (the default tier is 1,000,000; a Tier object gives
//     the others theirs; no order is last), in a tier the policies that apply by order
//     (no order last), then name, and in a policy its rules in order. The first rule
//     that matches decides: Allow and Deny are final, Pass goes to the next tier, Log
//     goes on. A tier that applies to the pod and decides nothing denies (its
//     defaultAction Pass goes on instead). After the last tier the pod's profile
//     allows. Kubernetes NetworkPolicies are in the default tier at order 1000.
//   - A rule matches when all its criteria do: protocol and notProtocol; the peer
//     (source of an ingress rule, destination of an egress rule) by selector,
//     notSelector, namespaceSelector (global() selects non-namespaced resources),
//     nets, notNets, serviceAccounts and services; the ports of the destination, and
//     notPorts; the local side (destination of an ingress rule, source of an egress
//     rule) by the same criteria. Selectors also match NetworkSets and
//     GlobalNetworkSets, whose nets are then matched. Named ports resolve against the
//     destination pod.
//
// Not evaluated, and said so in Policy.Unevaluated: HTTP matches (the rule counts as
// matching more), source ports (an Allow counts as matching more; a Deny or Pass is
// left out), ICMP type matches. A GlobalNetworkPolicy for host endpoints (doNotTrack,
// preDNAT, applyOnForward) is left out: hosts are not in the graph.

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/moat-dev/moat/internal/inventory"
)

// CalicoGroups are the API groups of Calico's policies: the CRDs, and the API server's view.
var CalicoGroups = []string{"crd.projectcalico.org", "projectcalico.org"}

// defaultTierOrder is the order of Calico's default tier.
const defaultTierOrder = 1_000_000

type calicoObject struct {
	Spec struct {
		Tier                   string       `json:"tier"`
		Order                  *float64     `json:"order"`
		Selector               string       `json:"selector"`
		NamespaceSelector      string       `json:"namespaceSelector"`
		ServiceAccountSelector string       `json:"serviceAccountSelector"`
		Types                  []string     `json:"types"`
		Ingress                []calicoRule `json:"ingress"`
		Egress                 []calicoRule `json:"egress"`
		DoNotTrack             bool         `json:"doNotTrack"`
		PreDNAT                bool         `json:"preDNAT"`
		ApplyOnForward         bool         `json:"applyOnForward"`
	} `json:"spec"`
}

type calicoRule struct {
	Action      string          `json:"action"`
	Protocol    *flexString     `json:"protocol"`
	NotProtocol *flexString     `json:"notProtocol"`
	ICMP        json.RawMessage `json:"icmp"`
	NotICMP     json.RawMessage `json:"notICMP"`
	IPVersion   *int            `json:"ipVersion"`
	Source      calicoEntity    `json:"source"`
	Destination calicoEntity    `json:"destination"`
	HTTP        json.RawMessage `json:"http"`
}

type calicoEntity struct {
	Nets              []string     `json:"nets"`
	Net               string       `json:"net"`
	NotNets           []string     `json:"notNets"`
	NotNet            string       `json:"notNet"`
	Selector          *string      `json:"selector"`
	NotSelector       *string      `json:"notSelector"`
	NamespaceSelector *string      `json:"namespaceSelector"`
	Ports             []flexString `json:"ports"`
	NotPorts          []flexString `json:"notPorts"`
	ServiceAccounts   *struct {
		Names    []string `json:"names"`
		Selector string   `json:"selector"`
	} `json:"serviceAccounts"`
	Services *struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"services"`
}

func (e calicoEntity) empty() bool {
	return len(e.Nets) == 0 && e.Net == "" && len(e.NotNets) == 0 && e.NotNet == "" && e.Selector == nil &&
		e.NotSelector == nil && e.NamespaceSelector == nil && e.ServiceAccounts == nil && e.Services == nil
}

// calicoScope is what a policy's entity rules are evaluated against.
type calicoScope struct {
	m      *Model
	ns     string // the policy's namespace; "" for a GlobalNetworkPolicy
	policy *Policy
}

// parseCalico reads a Calico NetworkPolicy (ns set) or GlobalNetworkPolicy (ns "").
func parseCalico(m *Model, data []byte, kind, ns, name string, o *inventory.Object) (*Policy, error) {
	var w calicoObject
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	s := w.Spec
	if s.DoNotTrack || s.PreDNAT || s.ApplyOnForward {
		return nil, fmt.Errorf("doNotTrack, preDNAT and applyOnForward policies apply to host endpoints, which are not in the graph")
	}
	sel, err := parseCalicoSelector(s.Selector)
	if err != nil {
		return nil, fmt.Errorf("spec.selector: %w", err)
	}
	var nsSel, saSel calicoSel = selAll{}, selAll{}
	if ns == "" {
		if nsSel, err = parseCalicoSelector(s.NamespaceSelector); err != nil {
			return nil, fmt.Errorf("spec.namespaceSelector: %w", err)
		}
	}
	if saSel, err = parseCalicoSelector(s.ServiceAccountSelector); err != nil {
		return nil, fmt.Errorf("spec.serviceAccountSelector: %w", err)
	}
	p := &Policy{Namespace: ns, Name: name, Obj: o, Kind: kind, Flavor: Calico, Selector: labels.Nothing(),
		SubjectText: sel.String(), SubjectPath: "spec.selector", Tier: s.Tier}
	if p.Tier == "" {
		p.Tier = DefaultTier
	}
	if s.Order != nil {
		p.Order = *s.Order
	} else {
		p.Unordered, p.Order = true, math.Inf(1)
	}
	p.Subject = func(e *EndpointInfo) bool {
		return e.Pod && (ns == "" || e.Namespace == ns) && nsSel.matches(e.calicoNamespaceLabels()) &&
			sel.matches(e.calicoLabels()) && saSel.matches(e.calicoSALabels())
	}
	nsKey := func(k string) bool {
		return k == calicoNamespaceLabel || k == calicoOrchestrator || strings.HasPrefix(k, calicoNSProfilePrefix)
	}
	if asksOnly(sel, nsKey) && onlyAll(saSel) {
		p.AllPodsOf = func(n string, nsLabels map[string]string) bool {
			return p.Subject(&EndpointInfo{Pod: true, Namespace: n, NamespaceLabels: nsLabels, Labels: labels.Set{}, ServiceAccount: "default"})
		}
	} else {
		p.AllPodsOf = func(string, map[string]string) bool { return false }
	}
	if len(s.Types) == 0 {
		p.Ingress = len(s.Ingress) > 0 || len(s.Egress) == 0
		p.Egress = len(s.Egress) > 0
	}
	for _, t := range s.Types {
		switch strings.ToLower(t) {
		case "ingress":
			p.Ingress = true
		case "egress":
			p.Egress = true
		default:
			return nil, fmt.Errorf("spec.types: unknown type %q", t)
		}
	}
	sc := calicoScope{m: m, ns: ns, policy: p}
	for i, cr := range s.Ingress {
		r, err := sc.rule(cr, true, fmt.Sprintf("spec.ingress[%d]", i))
		if err != nil {
			return nil, fmt.Errorf("spec.ingress[%d]: %w", i, err)
		}
		if r != nil {
			r.Index = i
			p.IngressRules = append(p.IngressRules, r)
		}
	}
	for i, cr := range s.Egress {
		r, err := sc.rule(cr, false, fmt.Sprintf("spec.egress[%d]", i))
		if err != nil {
			return nil, fmt.Errorf("spec.egress[%d]: %w", i, err)
		}
		if r != nil {
			r.Index = i
			p.EgressRules = append(p.EgressRules, r)
		}
	}
	return p, nil
}

// rule reads one rule; nil when the rule is left out (a Deny or Pass on source ports).
func (sc calicoScope) rule(cr calicoRule, ingress bool, field string) (*Rule, error) {
	r := &Rule{Field: field}
	not := func(what string) { sc.policy.Unevaluated = append(sc.policy.Unevaluated, what+" in "+field) }
	switch strings.ToLower(cr.Action) {
	case "allow":
		r.Action = Allow
	case "deny":
		r.Action = Deny
	case "pass":
		r.Action = Pass
	case "log":
		r.Action = Log
	default:
		return nil, fmt.Errorf("action %q (want Allow, Deny, Pass or Log)", cr.Action)
	}
	if present(cr.HTTP) {
		not("the HTTP match")
	}
	if present(cr.ICMP) || present(cr.NotICMP) {
		not("the ICMP match")
	}
	protos, err := calicoProtocols(cr.Protocol, cr.NotProtocol)
	if err != nil {
		return nil, err
	}
	peer, self := cr.Source, cr.Destination
	if !ingress {
		peer, self = cr.Destination, cr.Source
	}
	// Source ports: the client's ephemeral port (or the pod's own, on egress).
	if len(cr.Source.Ports)+len(cr.Source.NotPorts) > 0 {
		if r.Action != Allow {
			not("source ports (the rule is left out)")
			return nil, nil
		}
		not("source ports (the rule counts as matching every source port)")
	}
	if r.Ports, err = calicoPorts(cr.Destination.Ports, protos, true); err != nil {
		return nil, fmt.Errorf("destination.ports: %w", err)
	}
	if len(cr.Destination.NotPorts) > 0 {
		if r.NotPorts, err = calicoPorts(cr.Destination.NotPorts, protos, false); err != nil {
			return nil, fmt.Errorf("destination.notPorts: %w", err)
		}
	}
	pe, nets, err := sc.entity(peer, cr.IPVersion, true, field)
	if err != nil {
		return nil, err
	}
	if pe == nil {
		r.AnyPeer = true
	} else {
		r.Peers = []Peer{{Key: fmt.Sprintf("calico:%p", r), Match: pe, Nets: nets}}
	}
	if !self.empty() {
		if r.Self, _, err = sc.entity(self, nil, false, field); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// calicoProtocols is the protocols a rule matches among TCP, UDP and SCTP; nil is all
// protocols (no protocol criterion).
func calicoProtocols(proto, notProto *flexString) ([]Protocol, error) {
	one := func(f flexString) (Protocol, bool, error) {
		switch strings.ToUpper(string(f)) {
		case "TCP", "6":
			return TCP, true, nil
		case "UDP", "17":
			return UDP, true, nil
		case "SCTP", "132":
			return SCTP, true, nil
		case "ICMP", "ICMPV6", "UDPLITE", "1", "58", "136":
			return 0, false, nil
		}
		if n, err := strconv.Atoi(string(f)); err == nil && n >= 1 && n <= 255 {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("unknown protocol %q", string(f))
	}
	if proto == nil && notProto == nil {
		return nil, nil
	}
	out := []Protocol{TCP, UDP, SCTP}
	if proto != nil {
		p, ok, err := one(*proto)
		if err != nil {
			return nil, err
		}
		out = nil
		if ok {
			out = []Protocol{p}
		}
	}
	if notProto != nil {
		p, ok, err := one(*notProto)
		if err != nil {
			return nil, err
		}
		if ok {
			var keep []Protocol
			for _, q := range out {
				if q != p {
					keep = append(keep, q)
				}
			}
			out = keep
		}
	}
	if out == nil {
		out = []Protocol{}
	}
	return out, nil
}

// calicoPorts reads a ports list for the given protocols (nil: every protocol). With no
// ports, whole is true and no protocol criterion, every port (nil).
func calicoPorts(ports []flexString, protos []Protocol, whole bool) (PortSpecs, error) {
	if len(ports) == 0 {
		if protos == nil && whole {
			return nil, nil
		}
		if !whole {
			return PortSpecs{}, nil
		}
		out := PortSpecs{}
		for _, p := range protos {
			out = append(out, PortSpec{Protocol: p})
		}
		return out, nil
	}
	if protos == nil {
		protos = []Protocol{TCP, UDP, SCTP}
	}
	out := PortSpecs{}
	for _, f := range ports {
		s := string(f)
		lo, hi, isRange := strings.Cut(s, ":")
		a, errA := strconv.Atoi(lo)
		switch {
		case isRange:
			b, errB := strconv.Atoi(hi)
			if errA != nil || errB != nil || a < MinPort || b > MaxPort || b < a {
				return nil, fmt.Errorf("bad port range %q", s)
			}
			for _, p := range protos {
				out = append(out, PortSpec{Protocol: p, Port: int32(a), End: int32(b)})
			}
		case errA == nil:
			if a < MinPort || a > MaxPort {
				return nil, fmt.Errorf("port %d out of range", a)
			}
			for _, p := range protos {
				out = append(out, PortSpec{Protocol: p, Port: int32(a)})
			}
		default:
			for _, p := range protos {
				out = append(out, PortSpec{Protocol: p, Named: s})
			}
		}
	}
	return out, nil
}

// entity turns an EntityRule into a predicate over endpoints, and the CIDRs it names;
// nil when it has no criterion (it matches everything). remote is false for the local
// side of a rule, which only ever sees the policy's pods.
func (sc calicoScope) entity(e calicoEntity, ipVersion *int, remote bool, field string) (func(*EndpointInfo) bool, []netip.Prefix, error) {
	nets, err := parsePrefixes(append(e.Nets, nonEmpty(e.Net)...))
	if err != nil {
		return nil, nil, fmt.Errorf("nets: %w", err)
	}
	notNets, err := parsePrefixes(append(e.NotNets, nonEmpty(e.NotNet)...))
	if err != nil {
		return nil, nil, fmt.Errorf("notNets: %w", err)
	}
	var sel, notSel, nsSel calicoSel
	if e.Selector != nil {
		if sel, err = parseCalicoSelector(*e.Selector); err != nil {
			return nil, nil, err
		}
	}
	if e.NotSelector != nil {
		if notSel, err = parseCalicoSelector(*e.NotSelector); err != nil {
			return nil, nil, err
		}
	}
	if e.NamespaceSelector != nil {
		if nsSel, err = parseCalicoSelector(*e.NamespaceSelector); err != nil {
			return nil, nil, err
		}
	}
	var saNames map[string]bool
	var saSel calicoSel
	if sa := e.ServiceAccounts; sa != nil {
		if len(sa.Names) > 0 {
			saNames = map[string]bool{}
			for _, n := range sa.Names {
				saNames[n] = true
			}
		}
		if saSel, err = parseCalicoSelector(sa.Selector); err != nil {
			return nil, nil, err
		}
	}
	var svcSel labels.Selector
	svcNS := ""
	if svc := e.Services; svc != nil {
		svcNS = svc.Namespace
		if svcNS == "" {
			svcNS = sc.ns
		}
		if ps, ok := sc.m.Services[svcNS+"/"+svc.Name]; ok {
			svcSel = labels.SelectorFromSet(ps)
		} else {
			svcSel = labels.Nothing()
			sc.policy.Unevaluated = append(sc.policy.Unevaluated, fmt.Sprintf("service %s/%s, which has no selector in the inputs (it matches nothing), in %s", svcNS, svc.Name, field))
		}
	}
	identity := sel != nil || nsSel != nil || saSel != nil || svcSel != nil
	if !identity && notSel == nil && nets == nil && notNets == nil && ipVersion == nil {
		return nil, nil, nil
	}
	all := append(append([]netip.Prefix{}, nets...), notNets...)
	policyNS := sc.ns
	// inScope: is a namespace (or, "" with global, a non-namespaced set) in the scope of the selectors?
	inScope := func(ns string, nsLabels map[string]string) bool {
		if nsSel != nil {
			if ns == "" {
				_, isGlobal := nsSel.(selGlobal)
				return isGlobal
			}
			return nsSel.matches(calicoNSView(ns, nsLabels))
		}
		return policyNS == "" || ns == policyNS
	}
	// sets are the network sets a selector may match.
	sets := sc.m.NetworkSets
	for _, s := range sets {
		all = append(all, s.Nets...)
	}
	setMatches := func(s calicoSel, r netip.Prefix) bool {
		for _, ns := range sets {
			var nsLabels map[string]string
			if ns.Namespace != "" {
				nsLabels = sc.m.Namespaces[ns.Namespace]
			}
			if !inScope(ns.Namespace, nsLabels) || !s.matches(labels.Set(ns.Labels)) {
				continue
			}
			for _, n := range ns.Nets {
				if n.Contains(r.Addr()) {
					return true
				}
			}
		}
		return false
	}
	match := func(x *EndpointInfo) bool {
		if x.Pod {
			if identity {
				if !inScope(x.Namespace, x.NamespaceLabels) {
					return false
				}
				if sel != nil && !sel.matches(x.calicoLabels()) {
					return false
				}
				if saNames != nil && !saNames[x.ServiceAccount] {
					return false
				}
				if saSel != nil && !saSel.matches(x.calicoSALabels()) {
					return false
				}
				if svcSel != nil && (x.Namespace != svcNS || !svcSel.Matches(x.Labels)) {
					return false
				}
			}
			if notSel != nil && inScope(x.Namespace, x.NamespaceLabels) && notSel.matches(x.calicoLabels()) {
				return false
			}
		} else {
			if !remote {
				return false
			}
			if identity {
				if saSel != nil || svcSel != nil {
					return false
				}
				s := sel
				if s == nil {
					s = selAll{}
				}
				if !setMatches(s, x.Range) {
					return false
				}
			}
			if notSel != nil && setMatches(notSel, x.Range) {
				return false
			}
			if ipVersion != nil && (*ipVersion == 4) != x.Range.Addr().Is4() {
				return false
			}
		}
		if nets != nil && !x.InNets(nets) {
			return false
		}
		if notNets != nil && x.InNets(notNets) {
			return false
		}
		return true
	}
	return match, all, nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func parsePrefixes(ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range ss {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, err
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

type calicoTierObject struct {
	Spec struct {
		Order         *float64 `json:"order"`
		DefaultAction string   `json:"defaultAction"`
	} `json:"spec"`
}

type calicoNetworkSetObject struct {
	Spec struct {
		Nets []string `json:"nets"`
	} `json:"spec"`
}

// tierOf is the tier of a name: a Tier object's, or Calico's built-in tiers.
func (m *Model) tierOf(name string) Tier {
	if t, ok := m.Tiers[name]; ok {
		return t
	}
	switch name {
	case DefaultTier:
		return Tier{Name: name, Order: defaultTierOrder}
	case "adminnetworkpolicy", "kube-admin":
		return Tier{Name: name, Order: 1000, PassByDefault: true}
	case "baselineadminnetworkpolicy", "kube-baseline":
		return Tier{Name: name, Order: 10_000_000, PassByDefault: true}
	}
	return Tier{Name: name, Unordered: true, Order: math.Inf(1)}
}

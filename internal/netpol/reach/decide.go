package reach

import (
	"cmp"
	"math"
	"net/netip"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/moat-dev/moat/internal/inventory"
)

// How one side of a connection is decided (the egress of the source towards the
// destination, or the ingress of the destination from the source), for each port:
//
//  1. Cilium's deny rules (ingressDeny, egressDeny) that match deny: deny wins over
//     every allow, as in Cilium.
//  2. Then the tiers, lowest order first: Calico tiers named by Tier objects, the
//     AdminNetworkPolicies (a tier of order 1000, as Calico places them), the default
//     tier (order 1,000,000: Calico policies without a tier, and every NetworkPolicy
//     and Cilium allow rule at order 1000), the BaselineAdminNetworkPolicy (order
//     10,000,000). In a tier the rules of the policies that apply are taken in order,
//     and the first that matches a port decides it: Allow and Deny are final, Pass
//     sends it to the next tier, Log goes on. A tier in which a policy isolates the pod
//     for that direction denies what it did not decide; otherwise (no policy isolates,
//     or a Calico tier with defaultAction Pass) the next tier decides.
//  3. What no tier decided is allowed: no policy limits it.
//
// With NetworkPolicies alone this is the API's semantics: a pod that no policy
// isolates allows everything, an isolated one the union of its rules.

type stepKind uint8

const (
	stepDeny stepKind = iota // Cilium deny rules
	stepAdmin
	stepTier
	stepBaseline
)

// cStep is one tier as it applies to one class in one direction.
type cStep struct {
	kind  stepKind
	name  string
	order float64
	rules []*cRule
	// isolates: a policy of the tier isolates the class, and the tier denies what it
	// does not decide.
	isolates bool
	pols     []*Policy // the policies of the tier that apply
}

// dirState is what applies to a class in one direction.
type dirState struct {
	// iso: a policy isolates the class (default deny) in this direction.
	iso bool
	// pols are the policies whose rules apply, in the model's order.
	pols []*Policy
	// allows are the Allow rules of pols: in the simple case they are the whole story.
	allows []*cRule
	// adm and base are the admin rules, in evaluation order.
	adm, base []*cRule
	// steps are the tiers in evaluation order.
	steps []*cStep
	// simple: only Allow rules of the default tier apply (NetworkPolicies, Cilium
	// allows, Calico Allow rules): a non-isolated class allows all, an isolated one the
	// union of allows.
	simple bool

	entries []polEntry // while compiling
}

type polEntry struct {
	p     *Policy
	rules []*cRule
}

// class is an equivalence class of pods: same namespace (so same namespace labels),
// same pod labels, same container ports, same IPs, same service account. Every policy
// treats its members alike.
type class struct {
	ns       string
	nsLabels labels.Set
	labels   labels.Set
	ports    []ContainerPort
	ips      []netip.Addr
	sa       string
	members  []*Workload
	probe    bool
	info     *EndpointInfo

	in, eg dirState
}

// cRule is a compiled rule: of a policy (pol, rule) or of an admin policy (adm, arule).
type cRule struct {
	pol     *Policy
	rule    *Rule
	adm     *AdminPolicy
	arule   *AdminRule
	ingress bool
	action  Action
	match   bitset
	ports   PortSet // resolved once unless the rule names ports
	named   bool
	// id is the rule's position in Analysis.rules.
	id int
}

func (r *cRule) resolve(dst []ContainerPort) PortSet {
	if !r.named {
		return r.ports
	}
	if r.arule != nil {
		return r.arule.Ports.Resolve(dst)
	}
	return resolveRule(r.rule, dst)
}

func resolveRule(r *Rule, dst []ContainerPort) PortSet {
	ps := r.Ports.Resolve(dst)
	if len(r.NotPorts) > 0 {
		ps = ps.Subtract(r.NotPorts.Resolve(dst))
	}
	return ps
}

// field is the rule's path in its object.
func (r *cRule) field() string {
	if r.arule != nil {
		if r.ingress {
			return "spec.ingress[" + itoa(int32(r.arule.Index)) + "]"
		}
		return "spec.egress[" + itoa(int32(r.arule.Index)) + "]"
	}
	return r.rule.FieldIn(r.ingress)
}

func (r *cRule) obj() *inventory.Object {
	if r.adm != nil {
		return r.adm.Obj
	}
	return r.pol.Obj
}

// title names the rule's policy: "NetworkPolicy shop/api", "AdminNetworkPolicy x".
func (r *cRule) title() string {
	if r.adm != nil {
		return r.adm.Kind() + " " + r.adm.Name
	}
	return r.pol.Title()
}

// compilePolicies selects, for every policy, the classes it applies to and compiles its
// rules, then puts each class's rules in evaluation order.
func (a *Analysis) compilePolicies(matchSel func(b bitset, nsSel, podSel labels.Selector, nsOnly string),
	matchIPs func(b bitset, ranges []netip.Prefix, contains func(netip.Addr) bool), byNS map[string][]int) {
	m := a.Model
	nc := len(a.classes)
	for _, c := range a.classes {
		c.info = &EndpointInfo{Pod: true, Namespace: c.ns, NamespaceLabels: c.nsLabels, Labels: c.labels,
			ServiceAccount: c.sa, ServiceAccountLabels: m.ServiceAccounts[c.ns+"/"+c.sa], IPs: c.ips}
	}
	outside := make([]*EndpointInfo, len(a.ext))
	for i, p := range a.ext {
		outside[i] = &EndpointInfo{Range: p}
	}
	generic := map[string]bitset{}
	matchGeneric := func(b bitset, pe Peer) {
		if got, ok := generic[pe.Key]; ok && pe.Key != "" {
			b.or(got)
			return
		}
		g := newBitset(a.n)
		for ci, c := range a.classes {
			if pe.Match(c.info) {
				g.set(ci)
			}
		}
		for i, e := range outside {
			if pe.Match(e) {
				g.set(nc + i)
			}
		}
		if pe.Key != "" {
			generic[pe.Key] = g
		}
		b.or(g)
	}
	compile := func(p *Policy, r *Rule, ingress bool) *cRule {
		cr := &cRule{pol: p, rule: r, ingress: ingress, action: r.action(), match: newBitset(a.n), id: len(a.rules)}
		a.rules = append(a.rules, cr)
		cr.named = r.Ports.hasNamed() || r.NotPorts.hasNamed()
		if !cr.named {
			cr.ports = resolveRule(r, nil)
		}
		if r.AnyPeer {
			cr.match.fill(a.n)
			return cr
		}
		for _, pe := range r.Peers {
			switch {
			case pe.Match != nil:
				matchGeneric(cr.match, pe)
			case pe.IPBlock != nil:
				matchIPs(cr.match, []netip.Prefix{pe.IPBlock.CIDR}, pe.IPBlock.Contains)
			default:
				matchSel(cr.match, pe.Namespace, pe.Pod, p.Namespace)
			}
		}
		return cr
	}
	// forClass keeps the rules whose Self matches the class (Calico's local criteria).
	forClass := func(rules []*cRule, c *class) []*cRule {
		keep := rules
		for i, r := range rules {
			if r.rule.Self != nil && !r.rule.Self(c.info) {
				keep = slices.Clone(rules[:i])
				for _, r := range rules[i+1:] {
					if r.rule.Self == nil || r.rule.Self(c.info) {
						keep = append(keep, r)
					}
				}
				break
			}
		}
		return keep
	}
	for _, p := range m.Policies {
		var sel []int
		if p.Subject == nil {
			for _, ci := range byNS[p.Namespace] {
				if p.Selector.Matches(a.classes[ci].labels) {
					sel = append(sel, ci)
				}
			}
		} else {
			for ci, c := range a.classes {
				if p.Subject(c.info) {
					sel = append(sel, ci)
				}
			}
		}
		if len(sel) == 0 {
			continue
		}
		a.selected[p] = true
		var in, eg []*cRule
		if p.Ingress {
			for _, r := range p.IngressRules {
				in = append(in, compile(p, r, true))
			}
		}
		if p.Egress {
			for _, r := range p.EgressRules {
				eg = append(eg, compile(p, r, false))
			}
		}
		for _, ci := range sel {
			c := a.classes[ci]
			if p.Ingress {
				c.in.entries = append(c.in.entries, polEntry{p, forClass(in, c)})
			}
			if p.Egress {
				c.eg.entries = append(c.eg.entries, polEntry{p, forClass(eg, c)})
			}
		}
	}
	compileAdmin := func(p *AdminPolicy, r *AdminRule, ingress bool) *cRule {
		cr := &cRule{adm: p, arule: r, ingress: ingress, action: r.Action, match: newBitset(a.n), id: len(a.rules)}
		a.rules = append(a.rules, cr)
		cr.named = r.Ports.hasNamed()
		if !cr.named {
			cr.ports = r.Ports.Resolve(nil)
		}
		for _, pe := range r.Peers {
			switch {
			case pe.Nodes:
			case pe.Networks != nil:
				nets := pe.Networks
				matchIPs(cr.match, nets, func(ip netip.Addr) bool {
					return slices.ContainsFunc(nets, func(n netip.Prefix) bool { return n.Contains(ip) })
				})
			default:
				matchSel(cr.match, pe.Namespace, pe.Pod, "")
			}
		}
		return cr
	}
	for _, group := range [][]*AdminPolicy{m.Admin, m.Baseline} {
		for _, p := range group {
			var in, eg []*cRule
			for _, r := range p.Ingress {
				in = append(in, compileAdmin(p, r, true))
			}
			for _, r := range p.Egress {
				eg = append(eg, compileAdmin(p, r, false))
			}
			sel := newBitset(nc)
			matchSel(sel, p.Subject.Namespace, p.Subject.Pod, "")
			sel.each(func(ci int) {
				c := a.classes[ci]
				if p.Baseline {
					c.in.base = append(c.in.base, in...)
					c.eg.base = append(c.eg.base, eg...)
				} else {
					c.in.adm = append(c.in.adm, in...)
					c.eg.adm = append(c.eg.adm, eg...)
				}
			})
		}
	}
	for _, c := range a.classes {
		a.finish(&c.in, true)
		a.finish(&c.eg, false)
	}
}

// finish puts a class's rules for one direction in evaluation order.
func (a *Analysis) finish(ds *dirState, ingress bool) {
	ds.simple = len(ds.adm) == 0 && len(ds.base) == 0
	tiers := map[string]*cStep{}
	tierOf := func(name string) *cStep {
		if st, ok := tiers[name]; ok {
			return st
		}
		t := a.Model.tierOf(name)
		st := &cStep{kind: stepTier, name: name, order: t.Order}
		tiers[name] = st
		return st
	}
	tierOf(DefaultTier) // always there: explanations say where NetworkPolicies stand
	deny := &cStep{kind: stepDeny, name: "deny", order: math.Inf(-1)}
	entries := slices.Clone(ds.entries)
	slices.SortStableFunc(entries, func(x, y polEntry) int {
		return cmp.Or(cmp.Compare(x.p.Order, y.p.Order), strings.Compare(x.p.Ref(), y.p.Ref()))
	})
	for _, e := range ds.entries {
		ds.pols = append(ds.pols, e.p)
		for _, r := range e.rules {
			if r.action == Allow {
				ds.allows = append(ds.allows, r)
			}
		}
	}
	for _, e := range entries {
		st := tierOf(e.p.Tier)
		if e.p.Tier != DefaultTier {
			ds.simple = false
		}
		iso := e.p.IsolatesEgress()
		if ingress {
			iso = e.p.IsolatesIngress()
		}
		if iso && !a.Model.tierOf(e.p.Tier).PassByDefault {
			st.isolates = true
			ds.iso = true
		}
		st.pols = append(st.pols, e.p)
		for _, r := range e.rules {
			switch {
			case e.p.Flavor == Cilium && r.action == Deny:
				deny.rules = append(deny.rules, r)
				ds.simple = false
			case r.action != Allow:
				ds.simple = false
				st.rules = append(st.rules, r)
			default:
				st.rules = append(st.rules, r)
			}
		}
	}
	if len(deny.rules) > 0 {
		ds.steps = append(ds.steps, deny)
	}
	if len(ds.adm) > 0 {
		ds.steps = append(ds.steps, &cStep{kind: stepAdmin, name: "admin", order: 1000, rules: ds.adm})
	}
	for _, st := range tiers {
		ds.steps = append(ds.steps, st)
	}
	if len(ds.base) > 0 {
		ds.steps = append(ds.steps, &cStep{kind: stepBaseline, name: "baseline", order: 10_000_000, rules: ds.base})
	}
	slices.SortStableFunc(ds.steps, func(x, y *cStep) int {
		return cmp.Or(cmp.Compare(x.order, y.order), cmp.Compare(x.kind, y.kind), strings.Compare(x.name, y.name))
	})
	ds.entries = nil
}

// side is what one end allows: the egress of class ci towards peer, or its ingress
// from peer.
func (a *Analysis) side(ci, peer int, egress bool) PortSet {
	c := a.classes[ci]
	ds, dst := &c.in, c.ports
	if egress {
		ds, dst = &c.eg, a.dstPorts(peer)
	}
	if ds.simple {
		if !ds.iso {
			return AllPorts()
		}
		var out PortSet
		for _, r := range ds.allows {
			if r.match.has(peer) {
				out = out.Union(r.resolve(dst))
				if out.IsAll() {
					break
				}
			}
		}
		return out
	}
	return eval(ds, peer, dst, nil)
}

// Grant is a part of what one side allows: the ports a rule allows (Policy or Admin
// set, Field its path), or, with neither set, the ports no policy decides, allowed
// because nothing limits them.
type Grant struct {
	Ports  PortSet
	Policy *Policy
	Admin  *AdminPolicy
	Field  string
}

// Default reports the ports no policy decides.
func (g Grant) Default() bool { return g.Policy == nil && g.Admin == nil }

// Obj is the object of the grant's policy (nil for the default).
func (g Grant) Obj() *inventory.Object {
	switch {
	case g.Policy != nil:
		return g.Policy.Obj
	case g.Admin != nil:
		return g.Admin.Obj
	}
	return nil
}

// Title names the grant's policy ("" for the default).
func (g Grant) Title() string {
	switch {
	case g.Policy != nil:
		return g.Policy.Title()
	case g.Admin != nil:
		return g.Admin.Kind() + " " + g.Admin.Name
	}
	return ""
}

// Grants says what allows what on class ci's side (its egress towards peer, or its
// ingress from peer): every rule that allows some ports, with them, and the ports no
// policy decides. A rule is named when it decides a port, and so is every later Allow
// rule of the same tier that matches the port before a Deny or Pass does: all the
// NetworkPolicies that allow a connection are named, not the first.
func (a *Analysis) Grants(ci, peer int, egress bool) []Grant {
	c := a.classes[ci]
	ds, dst := &c.in, c.ports
	if egress {
		ds, dst = &c.eg, a.dstPorts(peer)
	}
	if a.Unlimited(ci, egress) {
		return []Grant{{Ports: AllPorts()}}
	}
	var out []Grant
	eval(ds, peer, dst, &out)
	return out
}

// eval decides one side by the steps (see the top of this file); with grants it also
// records what allows what.
func eval(ds *dirState, peer int, dst []ContainerPort, grants *[]Grant) PortSet {
	rem := AllPorts()
	var allowed PortSet
	steps := ds.steps
	if ds.simple && !ds.iso && grants == nil {
		return rem
	}
	for _, st := range steps {
		if rem.IsEmpty() {
			break
		}
		var pass, open PortSet
		for _, r := range st.rules {
			if !r.match.has(peer) {
				continue
			}
			ps := r.resolve(dst)
			switch r.action {
			case Allow:
				m := ps.Intersect(rem)
				if grants != nil {
					if g := m.Union(ps.Intersect(open)); !g.IsEmpty() {
						*grants = append(*grants, Grant{Ports: g, Policy: r.pol, Admin: r.adm, Field: r.field()})
					}
				}
				allowed = allowed.Union(m)
				open = open.Union(m)
				rem = rem.Subtract(m)
			case Deny:
				rem = rem.Subtract(ps)
				open = open.Subtract(ps)
			case Pass:
				pass = pass.Union(ps.Intersect(rem))
				rem = rem.Subtract(ps)
				open = open.Subtract(ps)
			}
		}
		if st.isolates {
			rem = PortSet{}
		}
		rem = rem.Union(pass)
	}
	if grants != nil && !rem.IsEmpty() {
		*grants = append(*grants, Grant{Ports: rem})
	}
	return allowed.Union(rem)
}

// candidates are the endpoints s may reach at all, or nil for "maybe any".
func (a *Analysis) candidates(s int) bitset {
	if s >= len(a.classes) {
		return nil
	}
	ds := &a.classes[s].eg
	if !ds.simple || !ds.iso {
		return nil
	}
	b := newBitset(a.n)
	for _, r := range ds.allows {
		b.or(r.match)
	}
	return b
}

// outsideCandidates are the classes an outside address may reach at all: those not
// simply isolated for ingress, and those with an ingress rule that matches some
// outside range.
func (a *Analysis) outsideCandidates() bitset {
	nc := len(a.classes)
	b := newBitset(a.n)
	for ci, c := range a.classes {
		if !c.in.simple || !c.in.iso {
			b.set(ci)
			continue
		}
		for _, r := range c.in.allows {
			found := false
			for i := nc; i < a.n; i++ {
				if r.match.has(i) {
					found = true
					break
				}
			}
			if found {
				b.set(ci)
				break
			}
		}
	}
	return b
}

// Sources are the endpoints that may reach class d at all, as a list; nil means any
// endpoint may (d is not isolated for ingress, or other kinds of rules apply).
func (a *Analysis) Sources(d int) []int {
	ds := &a.classes[d].in
	if !ds.simple || !ds.iso {
		return nil
	}
	b := newBitset(a.n)
	for _, r := range ds.allows {
		b.or(r.match)
	}
	out := []int{}
	b.each(func(i int) { out = append(out, i) })
	return out
}

// Isolated reports whether a policy isolates workload w for ingress and for egress.
func (a *Analysis) Isolated(w *Workload) (ingress, egress bool) {
	ci := a.Workload(w)
	if ci < 0 {
		return false, false
	}
	c := a.classes[ci]
	return c.in.iso, c.eg.iso
}

// Applying are the policies whose rules apply to workload w in a direction.
func (a *Analysis) Applying(w *Workload, ingress bool) []*Policy {
	ci := a.Workload(w)
	if ci < 0 {
		return nil
	}
	if ingress {
		return a.classes[ci].in.pols
	}
	return a.classes[ci].eg.pols
}

// Governed reports whether any policy, admin policies included, applies to workload w.
func (a *Analysis) Governed(w *Workload) bool {
	ci := a.Workload(w)
	if ci < 0 {
		return false
	}
	c := a.classes[ci]
	return len(c.in.pols)+len(c.eg.pols)+len(c.in.adm)+len(c.eg.adm)+len(c.in.base)+len(c.eg.base) > 0
}

// Selects reports whether policy p selects some workload of the model.
func (a *Analysis) Selects(p *Policy) bool { return a.selected[p] }

// Unlimited reports a class that no policy limits in a direction: every grant towards
// any peer is the default, on every port.
func (a *Analysis) Unlimited(ci int, egress bool) bool {
	ds := &a.classes[ci].in
	if egress {
		ds = &a.classes[ci].eg
	}
	return ds.simple && !ds.iso && len(ds.allows) == 0
}

// Ingress is what the ingress of class d allows from endpoint s, whatever s's egress.
func (a *Analysis) Ingress(d, s int) PortSet { return a.side(d, s, false) }

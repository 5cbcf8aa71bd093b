// Package authz evaluates RBAC policy exactly as the kube-apiserver's authorizer does:
// the privileged group system:masters, then the RBAC authorizer over Roles,
// ClusterRoles (with aggregation computed here, as the clusterrole-aggregation
// controller would), RoleBindings and ClusterRoleBindings. It works on rbac/v1 values
// and knows nothing of files or clusters; package rbac builds a Policy from an inventory.
//
// Semantics, checked against a real API server by test/kube/e2e/rbac_test.go:
//   - a question with a namespace is answered by the ClusterRoleBindings and the
//     RoleBindings of that namespace; a question without one (cluster-scoped resources,
//     "all namespaces", non-resource URLs) by the ClusterRoleBindings alone;
//   - a RoleBinding's roleRef to a Role names a Role of the binding's namespace; to a
//     ClusterRole, the ClusterRole's rules apply in the binding's namespace only;
//   - a binding whose role does not exist grants nothing;
//   - a rule with resourceNames never allows a request without a name, so list, watch,
//     create and deletecollection are not allowed by it;
//   - an aggregated ClusterRole's rules are replaced by the union of the rules of the
//     ClusterRoles its selectors match (not itself), transitively.
package authz

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Role is a Role (Namespace set) or ClusterRole.
type Role struct {
	Kind      string // "Role" or "ClusterRole"
	Namespace string
	Name      string
	Labels    map[string]string
	Rules     []rbacv1.PolicyRule
	// Aggregation is the aggregationRule of a ClusterRole, nil if none.
	Aggregation *rbacv1.AggregationRule
	// Source is what the caller built the role from (an inventory object).
	Source any
}

// Ref names the role as output does: "Role/NAME" or "ClusterRole/NAME".
func (r *Role) Ref() string { return r.Kind + "/" + r.Name }

// Binding is a RoleBinding (Namespace set) or ClusterRoleBinding.
type Binding struct {
	Kind      string // "RoleBinding" or "ClusterRoleBinding"
	Namespace string
	Name      string
	RoleRef   rbacv1.RoleRef
	Subjects  []rbacv1.Subject
	Source    any

	role *Role // nil when missing
}

// Ref names the binding as output does: "NS/NAME" or "NAME".
func (b *Binding) Ref() string {
	if b.Namespace == "" {
		return b.Name
	}
	return b.Namespace + "/" + b.Name
}

// RoleRefString names the role the binding refers to: "ClusterRole/NAME".
func (b *Binding) RoleRefString() string { return b.RoleRef.Kind + "/" + b.RoleRef.Name }

// Role is the role the binding refers to, or nil when it does not exist.
func (b *Binding) Role() *Role { return b.role }

// Rules are the effective rules of the binding's role (none when it is missing).
func (b *Binding) Rules() []rbacv1.PolicyRule {
	if b.role == nil {
		return nil
	}
	return b.role.Rules
}

// Policy is an indexed set of roles and bindings.
type Policy struct {
	roles        map[nsName]*Role
	clusterRoles map[string]*Role
	crbs         []*Binding
	rbs          map[string][]*Binding
	all          []*Binding
}

type nsName struct{ ns, name string }

// New indexes roles and bindings and computes ClusterRole aggregation. Roles and
// ClusterRoles given twice keep the last. The Rules of aggregated ClusterRoles are
// replaced in copies; the values passed in are not changed.
func New(roles []*Role, bindings []*Binding) *Policy {
	p := &Policy{roles: map[nsName]*Role{}, clusterRoles: map[string]*Role{}, rbs: map[string][]*Binding{}}
	for _, r := range roles {
		switch r.Kind {
		case "Role":
			p.roles[nsName{r.Namespace, r.Name}] = r
		case "ClusterRole":
			p.clusterRoles[r.Name] = r
		}
	}
	p.aggregate()
	for _, b := range bindings {
		b := *b
		switch {
		case b.RoleRef.Kind == "ClusterRole":
			b.role = p.clusterRoles[b.RoleRef.Name]
		case b.RoleRef.Kind == "Role" && b.Kind == "RoleBinding":
			b.role = p.roles[nsName{b.Namespace, b.RoleRef.Name}]
		}
		switch b.Kind {
		case "ClusterRoleBinding":
			p.crbs = append(p.crbs, &b)
		case "RoleBinding":
			p.rbs[b.Namespace] = append(p.rbs[b.Namespace], &b)
		default:
			continue
		}
		p.all = append(p.all, &b)
	}
	return p
}

// aggregate fills the rules of aggregated ClusterRoles to a fixed point, as the
// clusterrole-aggregation controller does: the union (without duplicates) of the rules
// of every other ClusterRole one of the selectors matches, selectors in order, roles by
// name. Aggregated roles start empty: the controller overwrites what was written.
func (p *Policy) aggregate() {
	type agg struct {
		role      *Role
		selectors []labels.Selector
	}
	var aggs []agg
	for name, r := range p.clusterRoles {
		if r.Aggregation == nil {
			continue
		}
		c := *r
		c.Rules = nil
		p.clusterRoles[name] = &c
		a := agg{role: &c}
		for _, s := range r.Aggregation.ClusterRoleSelectors {
			sel, err := metav1.LabelSelectorAsSelector(&s)
			if err != nil {
				sel = labels.Nothing()
			}
			a.selectors = append(a.selectors, sel)
		}
		aggs = append(aggs, a)
	}
	if len(aggs) == 0 {
		return
	}
	sort.Slice(aggs, func(i, j int) bool { return aggs[i].role.Name < aggs[j].role.Name })
	names := make([]string, 0, len(p.clusterRoles))
	for n := range p.clusterRoles {
		names = append(names, n)
	}
	sort.Strings(names)
	for round := 0; round <= len(aggs)+1; round++ {
		changed := false
		for _, a := range aggs {
			var rules []rbacv1.PolicyRule
			seen := map[string]bool{}
			for _, sel := range a.selectors {
				for _, n := range names {
					src := p.clusterRoles[n]
					if n == a.role.Name || !sel.Matches(labels.Set(src.Labels)) {
						continue
					}
					for _, r := range src.Rules {
						if k := ruleKey(&r); !seen[k] {
							seen[k] = true
							rules = append(rules, r)
						}
					}
				}
			}
			if len(rules) != len(a.role.Rules) {
				changed = true
			}
			a.role.Rules = rules
		}
		if !changed {
			return
		}
	}
}

// ruleKey identifies a rule as the controller's semantic equality does (a nil list
// equals an empty one; order matters).
func ruleKey(r *rbacv1.PolicyRule) string {
	var b strings.Builder
	for _, l := range [][]string{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs} {
		for _, x := range l {
			b.WriteString(strconv.Quote(x))
		}
		b.WriteByte('|')
	}
	return b.String()
}

// Role returns the Role NS/NAME, or the ClusterRole NAME when ns is empty; nil if absent.
// An aggregated ClusterRole carries its computed rules.
func (p *Policy) Role(ns, name string) *Role {
	if ns == "" {
		return p.clusterRoles[name]
	}
	return p.roles[nsName{ns, name}]
}

// Roles returns every Role and ClusterRole, ClusterRoles first, by namespace and name.
func (p *Policy) Roles() []*Role {
	out := make([]*Role, 0, len(p.roles)+len(p.clusterRoles))
	for _, r := range p.clusterRoles {
		out = append(out, r)
	}
	for _, r := range p.roles {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Bindings returns every binding in input order.
func (p *Policy) Bindings() []*Binding { return p.all }

// BindingsFor returns the bindings that answer a question in namespace ns: every
// ClusterRoleBinding, then the RoleBindings of ns (none when ns is empty).
func (p *Policy) BindingsFor(ns string) [][]*Binding {
	if ns == "" {
		return [][]*Binding{p.crbs}
	}
	return [][]*Binding{p.crbs, p.rbs[ns]}
}

// Namespaces lists the namespaces that hold RoleBindings or Roles.
func (p *Policy) Namespaces() []string {
	seen := map[string]bool{}
	for ns := range p.rbs {
		seen[ns] = true
	}
	for k := range p.roles {
		seen[k.ns] = true
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// Grant says why a request is allowed: the binding, its role and the rule's index, or
// Privileged for members of system:masters.
type Grant struct {
	Privileged bool
	Binding    *Binding
	Rule       int
}

// Via names a grant as output does.
type Via struct {
	Binding string `json:"binding"`
	Role    string `json:"role"`
}

// Via returns the names of the binding and role.
func (g Grant) Via() Via {
	if g.Privileged {
		return Via{Binding: "(built in: the API server allows every request of this group)", Role: "(system:masters)"}
	}
	return Via{Binding: g.Binding.Ref(), Role: g.Binding.RoleRefString()}
}

// Allows answers the request as the API server would, and says which grant allows it.
func (p *Policy) Allows(q Request) (bool, Grant) {
	if slices.Contains(q.Groups, GroupMasters) {
		return true, Grant{Privileged: true}
	}
	ns := q.Namespace
	if q.NonResource {
		ns = ""
	}
	for _, bs := range p.BindingsFor(ns) {
		for _, b := range bs {
			if b.role == nil || !b.applies(q.User, q.Groups) {
				continue
			}
			for i := range b.role.Rules {
				if RuleAllows(&b.role.Rules[i], &q) {
					return true, Grant{Binding: b, Rule: i}
				}
			}
		}
	}
	return false, Grant{}
}

func (b *Binding) applies(user string, groups []string) bool {
	for i := range b.Subjects {
		if appliesTo(&b.Subjects[i], b.Namespace, user, groups) {
			return true
		}
	}
	return false
}

// Applies reports whether the binding names the user or one of the groups.
func (b *Binding) Applies(user string, groups []string) bool { return b.applies(user, groups) }

// Subject is a subject of who-can answers: a User, a Group, or a ServiceAccount with its
// namespace.
type Subject struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	Via       []Via  `json:"via"`
}

// Key identifies the subject: "User:NAME", "Group:NAME", "ServiceAccount:NS/NAME".
func (s Subject) Key() string {
	if s.Kind == rbacv1.ServiceAccountKind {
		return s.Kind + ":" + s.Namespace + "/" + s.Name
	}
	return s.Kind + ":" + s.Name
}

// WhoCan lists the subjects that the request (without User and Groups) is allowed for,
// each with every binding that allows it, sorted by kind, namespace and name. The group
// system:masters is always among them. Subjects are as bindings name them: a user that
// is a member of a listed group is allowed too.
func (p *Policy) WhoCan(q Request) []Subject {
	ns := q.Namespace
	if q.NonResource {
		ns = ""
	}
	bySubject := map[string]*Subject{}
	add := func(s Subject, v Via) {
		k := s.Key()
		if e, ok := bySubject[k]; ok {
			if !slices.Contains(e.Via, v) {
				e.Via = append(e.Via, v)
			}
			return
		}
		s.Via = []Via{v}
		bySubject[k] = &s
	}
	add(Subject{Kind: rbacv1.GroupKind, Name: GroupMasters}, Grant{Privileged: true}.Via())
	for _, bs := range p.BindingsFor(ns) {
		for _, b := range bs {
			if b.role == nil || !anyRuleAllows(b.role.Rules, &q) {
				continue
			}
			v := Grant{Binding: b}.Via()
			for _, s := range b.Subjects {
				switch s.Kind {
				case rbacv1.UserKind, rbacv1.GroupKind:
					add(Subject{Kind: s.Kind, Name: s.Name}, v)
				case rbacv1.ServiceAccountKind:
					sans := s.Namespace
					if sans == "" {
						sans = b.Namespace
					}
					if sans == "" {
						continue // matches nobody
					}
					add(Subject{Kind: s.Kind, Name: s.Name, Namespace: sans}, v)
				}
			}
		}
	}
	out := make([]Subject, 0, len(bySubject))
	for _, s := range bySubject {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return kindOrder(a.Kind) < kindOrder(b.Kind)
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return out
}

func kindOrder(k string) int {
	switch k {
	case rbacv1.UserKind:
		return 0
	case rbacv1.GroupKind:
		return 1
	}
	return 2
}

func anyRuleAllows(rules []rbacv1.PolicyRule, q *Request) bool {
	for i := range rules {
		if RuleAllows(&rules[i], q) {
			return true
		}
	}
	return false
}

// GrantedRule is a rule someone holds, with the binding it comes through.
type GrantedRule struct {
	rbacv1.PolicyRule
	Binding *Binding
}

// RulesFor lists the rules that apply to a user with these groups in namespace ns (ns
// empty: cluster scope), like `kubectl auth can-i --list`. Members of system:masters
// get one rule allowing everything.
func (p *Policy) RulesFor(user string, groups []string, ns string) []GrantedRule {
	if slices.Contains(groups, GroupMasters) {
		return []GrantedRule{{PolicyRule: rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}},
			{PolicyRule: rbacv1.PolicyRule{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}}}
	}
	var out []GrantedRule
	for _, bs := range p.BindingsFor(ns) {
		for _, b := range bs {
			if b.role == nil || !b.applies(user, groups) {
				continue
			}
			for _, r := range b.role.Rules {
				out = append(out, GrantedRule{PolicyRule: r, Binding: b})
			}
		}
	}
	return out
}

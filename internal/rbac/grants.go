package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rbac/authz"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

// Ask is one request a risky permission consists of, without who asks: verbs on a
// resource (with its subresource) of an API group, about one object name or none.
type Ask struct {
	Group    string
	Resource string // "pods" or "pods/exec"
	Verbs    []string
	// Name is the object the request names: "" none (create, list: a rule limited by
	// resourceNames does not allow it, as the authorizer does not), AnyName (a rule
	// limited by resourceNames allows it for the names it lists), or one name.
	Name string
	// Cluster: the request has no namespace even though the resource may (escalate or
	// update on clusterroles), so a Role cannot grant it.
	Cluster bool
}

// AnyName in Ask.Name: the request names an object, whichever.
const AnyName = "*"

func asks(group string, verbs []string, resources ...string) []Ask {
	out := make([]Ask, len(resources))
	for i, r := range resources {
		out[i] = Ask{Group: group, Resource: r, Verbs: verbs}
	}
	return out
}

// cluster returns the asks as requests without a namespace.
func cluster(as []Ask) []Ask {
	out := make([]Ask, len(as))
	for i, a := range as {
		a.Cluster = true
		out[i] = a
	}
	return out
}

// named returns the asks about the object name.
func named(name string, as []Ask) []Ask {
	out := make([]Ask, len(as))
	for i, a := range as {
		a.Name = name
		out[i] = a
	}
	return out
}

// Requests turns an ask into authz requests, one per verb, for its name (none for
// AnyName).
func (a Ask) Requests() []authz.Request {
	out := make([]authz.Request, len(a.Verbs))
	for i, v := range a.Verbs {
		out[i] = a.request(v)
	}
	return out
}

// request is the request of Requests for one verb, made where it is asked: the
// catalogue's checks run for every role, and a list of requests for each was most of
// what they allocated.
func (a Ask) request(verb string) authz.Request {
	res, sub, _ := strings.Cut(a.Resource, "/")
	name := a.Name
	if name == AnyName {
		name = ""
	}
	return authz.Request{Verb: verb, APIGroup: a.Group, Resource: res, Subresource: sub, Name: name}
}

// allowedBy reports whether policy rule r allows a verb of the ask.
func (a Ask) allowedBy(r *rbacv1.PolicyRule) bool {
	for _, v := range a.Verbs {
		if a.allows(r, a.request(v)) {
			return true
		}
	}
	return false
}

// allows reports whether policy rule r allows request q of the ask: for AnyName, a
// rule limited by resourceNames allows it when it allows it for the names it lists.
func (a Ask) allows(r *rbacv1.PolicyRule, q authz.Request) bool {
	if authz.RuleAllows(r, &q) {
		return true
	}
	if a.Name != AnyName || len(r.ResourceNames) == 0 {
		return false
	}
	q.Name = r.ResourceNames[0]
	return authz.RuleAllows(r, &q)
}

// what names the resource of the ask as the authorizer sees it: "pods/exec",
// "deployments.apps".
func (a Ask) what() string {
	if a.Group == "" {
		return a.Resource
	}
	return a.Resource + "." + a.Group
}

// clusterScoped are the resources of the catalogue that have no namespace: a Role (and
// a RoleBinding) cannot grant them, since a request for them is answered by
// ClusterRoleBindings alone.
var clusterScoped = map[string]bool{
	"nodes": true, "persistentvolumes": true, "namespaces": true, "customresourcedefinitions": true,
	"certificatesigningrequests": true, "signers": true, "users": true, "groups": true, "uids": true, "userextras": true,
	"validatingwebhookconfigurations": true, "mutatingwebhookconfigurations": true, "validatingadmissionpolicies": true,
	"validatingadmissionpolicybindings": true, "mutatingadmissionpolicies": true, "mutatingadmissionpolicybindings": true,
	"clusterrolebindings": true,
}

// ClusterScoped reports whether the ask is about a resource without a namespace, or
// is a request without one (Cluster).
func (a Ask) ClusterScoped() bool {
	res, _, _ := strings.Cut(a.Resource, "/")
	return a.Cluster || clusterScoped[res]
}

// Primitive is a risky permission of the catalogue: any of its asks. A rule file
// registers it as rbac/<slug> with roleCheck and roleCEL.
type Primitive struct {
	Asks []Ask
	// Named: a rule limited by resourceNames still counts (impersonating one named
	// group, approving for one named signer, binding one named role). Otherwise such a
	// rule is taken as the narrow grant it is and not reported.
	Named bool
	// Consequence, when set, is what every grant of the primitive lets its holder do,
	// as a verb phrase after "its subjects can": "erase Events".
	Consequence string
	// Clauses follow it: what some grants let the holder do, said only when the role
	// allows what each one's condition names, so that a message never claims more
	// than the role grants.
	Clauses []Clause
}

// Clause is part of a message's consequence (a verb phrase after "its subjects can"),
// said when the role allows one of If (if any), one of And (if any), and none of Unless.
// Its asks are taken as written: Ask.Name decides how resourceNames count.
type Clause struct {
	Text            string
	If, And, Unless []Ask
}

// asks returns the primitive's asks as a rule of the primitive matches them.
func (p Primitive) asks() []Ask {
	if !p.Named {
		return p.Asks
	}
	return named(AnyName, p.Asks)
}

// holder is a Role or ClusterRole as the catalogue reads it: its rules, and whether a
// Role (which cannot grant cluster-scoped resources).
type holder struct {
	rules  []rbacv1.PolicyRule
	inRole bool
}

// verbs returns the verbs of the ask that the holder allows and, per verb, the indexes
// of the rules that allow it.
func (h holder) verbs(a Ask) ([]string, [][]int) {
	if h.inRole && a.ClusterScoped() {
		return nil, nil
	}
	var verbs []string
	var by [][]int
	for _, v := range a.Verbs {
		q := a.request(v)
		var rs []int
		for i := range h.rules {
			if a.allows(&h.rules[i], q) {
				rs = append(rs, i)
			}
		}
		if len(rs) > 0 {
			verbs = append(verbs, q.Verb)
			by = append(by, rs)
		}
	}
	return verbs, by
}

// allowsAny reports whether the holder allows a verb of the ask: whether verbs would
// list one, without the lists.
func (h holder) allowsAny(a Ask) bool {
	if h.inRole && a.ClusterScoped() {
		return false
	}
	for i := range h.rules {
		if a.allowedBy(&h.rules[i]) {
			return true
		}
	}
	return false
}

// anyOf reports whether the holder allows a verb of one of the asks.
func (h holder) anyOf(as []Ask) bool {
	for _, a := range as {
		if h.allowsAny(a) {
			return true
		}
	}
	return false
}

func (c Clause) holds(h holder) bool {
	return (len(c.If) == 0 || h.anyOf(c.If)) && (len(c.And) == 0 || h.anyOf(c.And)) && !h.anyOf(c.Unless)
}

// Grant is what one role allows of a primitive.
type Grant struct {
	// Allows lists it: "get, list on secrets; create on pods/exec".
	Allows string
	// Rules are the indexes of the policy rules that allow it, in order.
	Rules []int
	// Consequence is what its subjects can do with it: "read every Secret ...".
	Consequence string
}

// Grant returns what rules allow of the primitive (inRole: they are a Role's, which
// cannot grant cluster-scoped resources), or false when they allow none of it.
func (p Primitive) Grant(rules []rbacv1.PolicyRule, inRole bool) (Grant, bool) {
	return p.grant(p.asks(), rules, inRole)
}

// grant is Grant with the primitive's asks made already. Most roles allow none of a
// primitive, and that is found before anything is allocated.
func (p Primitive) grant(asks []Ask, rules []rbacv1.PolicyRule, inRole bool) (Grant, bool) {
	h := holder{rules, inRole}
	if !h.anyOf(asks) {
		return Grant{}, false
	}
	type entry struct {
		group, resource string
		verbs           []string
		names           []string // nil: some rule allows it whatever the name
	}
	var entries []*entry
	index := map[string]*entry{}
	used := map[int]bool{}
	for _, a := range asks {
		verbs, by := h.verbs(a)
		if len(verbs) == 0 {
			continue
		}
		e := index[a.what()]
		if e == nil {
			e = &entry{group: a.Group, resource: a.Resource}
			index[a.what()] = e
			entries = append(entries, e)
		}
		for i, v := range verbs {
			if !slices.Contains(e.verbs, v) {
				e.verbs = append(e.verbs, v)
			}
			for _, ri := range by[i] {
				used[ri] = true
			}
		}
	}
	if len(entries) == 0 {
		return Grant{}, false
	}
	if p.Named {
		// A resource allowed by a rule without resourceNames is allowed for every name;
		// otherwise for the names its rules list.
		for _, e := range entries {
			a := Ask{Group: e.group, Resource: e.resource, Verbs: e.verbs, Name: AnyName}
			every := false
			var names []string
			for i := range rules {
				if !a.allowedBy(&rules[i]) {
					continue
				}
				every = every || len(rules[i].ResourceNames) == 0
				for _, n := range rules[i].ResourceNames {
					if !slices.Contains(names, n) {
						names = append(names, n)
					}
				}
			}
			if !every {
				e.names = names
			}
		}
	}
	// Resources of one group with the same verbs and names are listed together.
	var parts []string
	done := map[*entry]bool{}
	for _, e := range entries {
		if done[e] {
			continue
		}
		res := []string{e.resource}
		for _, f := range entries {
			if f != e && !done[f] && f.group == e.group && slices.Equal(f.verbs, e.verbs) && slices.Equal(f.names, e.names) {
				res = append(res, f.resource)
				done[f] = true
			}
		}
		s := joinVerbs(e.verbs) + " on " + strings.Join(res, ", ")
		var notes []string
		if e.group != "" {
			notes = append(notes, e.group)
		}
		if len(e.names) > 0 {
			notes = append(notes, fmt.Sprintf("resourceNames %q", e.names))
		}
		if len(notes) > 0 {
			s += " (" + strings.Join(notes, "; ") + ")"
		}
		parts = append(parts, s)
	}
	g := Grant{Allows: strings.Join(parts, "; ")}
	for i := range rules {
		if used[i] {
			g.Rules = append(g.Rules, i)
		}
	}
	var says []string
	if p.Consequence != "" {
		says = append(says, p.Consequence)
	}
	for _, c := range p.Clauses {
		if c.holds(h) && !slices.Contains(says, c.Text) {
			says = append(says, c.Text)
		}
	}
	g.Consequence = strings.Join(says, "; ")
	return g, true
}

// Grants reports whether any rule allows the primitive.
func (p Primitive) Grants(rules []rbacv1.PolicyRule) bool {
	_, ok := p.Grant(rules, false)
	return ok
}

// roleCheck is the Object check of a catalogue rule: a Role or ClusterRole (not of the
// bootstrap policy) whose rules allow any of the primitive gives one result, which lists
// what its rules allow of it, whatever the spelling: "*" in verbs, apiGroups or
// resources allows what it covers. In a Role, cluster-scoped resources (nodes,
// namespaces, webhook configurations...) are left out, since a Role cannot grant them.
// The rules an aggregationRule collects are the selected ClusterRoles' own, reported
// on them.
func roleCheck(p Primitive) func(*rule.Context, *inventory.Object) []rule.Result {
	asks := p.asks() // once: a Named primitive's are copies
	return func(_ *rule.Context, o *inventory.Object) []rule.Result {
		rules, ok := policyRules(o)
		if !ok || IsBootstrap(o) {
			return nil
		}
		g, ok := p.grant(asks, rules, o.Kind() == "Role")
		if !ok {
			return nil
		}
		paths := make([]string, len(g.Rules))
		for i, ri := range g.Rules {
			paths[i] = rulePath(ri)
		}
		verb := "allows"
		if len(paths) > 1 {
			verb = "allow"
		}
		return []rule.Result{{
			Message: joinList(paths) + " " + verb + " " + g.Allows + ": its subjects can " + g.Consequence + redefinition(o),
			Path:    paths[0],
		}}
	}
}

// Verb lists used by the catalogue.
var (
	readVerbs   = []string{"get", "list", "watch"}
	writeVerbs  = []string{"create", "update", "patch", "delete", "deletecollection"}
	changeVerbs = []string{"update", "patch"}
)

type rbacPolicyRule = rbacv1.PolicyRule

func joinVerbs(vs []string) string { return strings.Join(vs, ", ") }

func joinList(xs []string) string { return strings.Join(xs, " and ") }

// describeSubjects names the subjects of an authz binding as messages do.
func describeSubjects(b *authz.Binding) string {
	var out []string
	for _, s := range b.Subjects {
		switch {
		case s.Kind == rbacv1.ServiceAccountKind && (s.Namespace != "" || b.Namespace != ""):
			ns := s.Namespace
			if ns == "" {
				ns = b.Namespace
			}
			out = append(out, fmt.Sprintf("ServiceAccount %q", ns+"/"+s.Name))
		default:
			out = append(out, fmt.Sprintf("%s %q", s.Kind, s.Name))
		}
	}
	if len(out) == 0 {
		return "no subject"
	}
	return strings.Join(out, ", ")
}

type rbacPolicySubject = rbacv1.Subject

// roleCEL is roleCheck(p) in CEL: generated from the very Primitive the Go check uses,
// so that the two cannot drift. A Role or ClusterRole fails when a rule allows an ask of
// the primitive, as authz.RuleAllows matches verbs, API groups, resources (with "*" and
// "*/sub") and resourceNames; in a Role, cluster-scoped asks count for nothing. Roles of
// the bootstrap policy pass. The message lists, per resource, the verbs the role
// allows, then the consequences whose conditions hold, as Grant does.
func roleCEL(p Primitive) *rule.CEL {
	var grants []string
	for _, a := range p.asks() {
		grants = append(grants, allowsCEL(a))
	}
	return &rule.CEL{
		Resources:  roleResources(),
		Expression: "(" + bootstrapRoleCEL + ") || !(" + strings.Join(grants, " || ") + ")",
		Message: "object.kind + ' ' + object.metadata.?name.orValue('') + ' allows ' + " + listingCEL(p) +
			" + ': its subjects can ' + " + consequenceCEL(p),
	}
}

// ruleAllowsCEL: policy rule r allows a verb of the ask (verb is a condition over x,
// the rule's verb: "x in ['get']"), as Ask.allows does.
func ruleAllowsCEL(a Ask, verb string) string {
	res := "x == '*' || x == '" + celexpr.Escape(a.Resource) + "'"
	if _, sub, ok := strings.Cut(a.Resource, "/"); ok {
		res += " || x == '*/" + celexpr.Escape(sub) + "'"
	}
	c := fmt.Sprintf("r.?verbs.orValue([]).exists(x, x == '*' || %s) && r.?apiGroups.orValue([]).exists(x, x == '*' || x == '%s') && r.?resources.orValue([]).exists(x, %s)",
		verb, celexpr.Escape(a.Group), res)
	if a.Name != AnyName {
		c += " && (r.?resourceNames.orValue([]).size() == 0 || '" + celexpr.Escape(a.Name) + "' in r.resourceNames)"
	}
	return c
}

// allowsCEL: the object's rules allow a verb of the ask (never a cluster-scoped one in a Role).
func allowsCEL(a Ask) string {
	c := "object.?rules.orValue([]).exists(r, " + ruleAllowsCEL(a, "x in "+celexpr.List(a.Verbs)) + ")"
	if a.ClusterScoped() {
		c = "(object.kind == 'ClusterRole' && " + c + ")"
	}
	return "(" + c + ")"
}

// anyCEL: the object's rules allow one of the asks.
func anyCEL(as []Ask) string {
	var out []string
	for _, a := range as {
		out = append(out, allowsCEL(a))
	}
	return "(" + strings.Join(out, " || ") + ")"
}

// listingCEL is a CEL string of what the role allows of p, one resource at a time:
// "get, list on secrets; create on pods/exec".
func listingCEL(p Primitive) string {
	var order []Ask
	index := map[string]int{}
	for _, a := range p.asks() {
		i, ok := index[a.what()]
		if !ok {
			i = len(order)
			index[a.what()] = i
			order = append(order, Ask{Group: a.Group, Resource: a.Resource, Name: a.Name, Cluster: a.Cluster})
		}
		for _, v := range a.Verbs {
			if !slices.Contains(order[i].Verbs, v) {
				order[i].Verbs = append(order[i].Verbs, v)
			}
		}
	}
	var parts []string
	for _, a := range order {
		guard := ""
		if a.ClusterScoped() {
			guard = "object.kind == 'ClusterRole' && "
		}
		verbs := fmt.Sprintf("%s.filter(v, %sobject.?rules.orValue([]).exists(r, %s))", celexpr.List(a.Verbs), guard, ruleAllowsCEL(a, "x == v"))
		names := ""
		if p.Named {
			match := ruleAllowsCEL(a, "x in l")
			names = fmt.Sprintf(" + (object.?rules.orValue([]).exists(r, %s && r.?resourceNames.orValue([]).size() == 0) ? '' : ' (resourceNames ' + object.?rules.orValue([]).filter(r, %s).map(r, r.?resourceNames.orValue([]).join(', ')).join(', ') + ')')", match, match)
		}
		parts = append(parts, fmt.Sprintf("[%s].map(l, l.size() == 0 ? '' : l.join(', ') + ' on %s'%s)", verbs, celexpr.Escape(a.what()), names))
	}
	return "(" + strings.Join(parts, " + ") + ").filter(s, s != '').join('; ')"
}

// consequenceCEL is a CEL string of the consequences of p that hold, as Grant says them.
func consequenceCEL(p Primitive) string {
	var parts []string
	if p.Consequence != "" {
		parts = append(parts, "['"+celexpr.Escape(p.Consequence)+"']")
	}
	for _, c := range p.Clauses {
		var cond []string
		if len(c.If) > 0 {
			cond = append(cond, anyCEL(c.If))
		}
		if len(c.And) > 0 {
			cond = append(cond, anyCEL(c.And))
		}
		if len(c.Unless) > 0 {
			cond = append(cond, "!"+anyCEL(c.Unless))
		}
		if len(cond) == 0 {
			cond = append(cond, "true")
		}
		parts = append(parts, "["+strings.Join(cond, " && ")+" ? '"+celexpr.Escape(c.Text)+"' : '']")
	}
	return "(" + strings.Join(parts, " + ") + ").filter(s, s != '').join('; ')"
}

// roleResources and bindingResources are what the RBAC rules' policies match.
func roleResources() []rule.APIResources {
	return []rule.APIResources{{Group: "rbac.authorization.k8s.io", Version: "v1", Resources: []string{"roles", "clusterroles"}}}
}

func bindingResources() []rule.APIResources {
	return []rule.APIResources{{Group: "rbac.authorization.k8s.io", Version: "v1", Resources: []string{"rolebindings", "clusterrolebindings"}}}
}

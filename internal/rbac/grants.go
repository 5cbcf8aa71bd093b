package rbac

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rbac/authz"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

// Ask is one request a risky permission consists of, without who asks: verbs on a
// resource (with its subresource) of an API group.
type Ask struct {
	Group    string
	Resource string // "pods" or "pods/exec"
	Verbs    []string
}

func asks(group string, verbs []string, resources ...string) []Ask {
	out := make([]Ask, len(resources))
	for i, r := range resources {
		out[i] = Ask{Group: group, Resource: r, Verbs: verbs}
	}
	return out
}

// Requests turns an ask into authz requests, one per verb, without a name.
func (a Ask) Requests() []authz.Request {
	res, sub, _ := strings.Cut(a.Resource, "/")
	out := make([]authz.Request, len(a.Verbs))
	for i, v := range a.Verbs {
		out[i] = authz.Request{Verb: v, APIGroup: a.Group, Resource: res, Subresource: sub}
	}
	return out
}

// clusterScoped are the resources of the catalogue that have no namespace: a Role (and
// a RoleBinding) cannot grant them, since a request for them is answered by
// ClusterRoleBindings alone.
var clusterScoped = map[string]bool{
	"nodes": true, "persistentvolumes": true, "namespaces": true, "customresourcedefinitions": true,
	"certificatesigningrequests": true, "signers": true, "users": true, "groups": true, "uids": true, "userextras": true,
	"validatingwebhookconfigurations": true, "mutatingwebhookconfigurations": true, "validatingadmissionpolicies": true,
	"validatingadmissionpolicybindings": true, "mutatingadmissionpolicies": true, "mutatingadmissionpolicybindings": true,
}

// ClusterScoped reports whether the ask is about a resource without a namespace.
func (a Ask) ClusterScoped() bool {
	res, _, _ := strings.Cut(a.Resource, "/")
	return clusterScoped[res]
}

// Primitive is a risky permission of the catalogue: any of its asks.
type Primitive struct {
	Asks []Ask
	// Named: a rule limited by resourceNames still counts (impersonating one named
	// group, approving for one named signer, binding one named role). Otherwise such a
	// rule is taken as the narrow grant it is and not reported.
	Named bool
	// Consequence completes the message: what a holder can do with it.
	Consequence string
}

// match returns what the rule grants of the primitive, "" when nothing: `"create" on
// "pods/exec"`.
func (p Primitive) match(r *rbacv1.PolicyRule, inRole bool) string {
	var hits []string
	for _, a := range p.Asks {
		if inRole && a.ClusterScoped() {
			continue
		}
		var verbs []string
		for _, q := range a.Requests() {
			ok := authz.RuleAllows(r, &q)
			if !ok && p.Named && len(r.ResourceNames) > 0 {
				q.Name = r.ResourceNames[0]
				ok = authz.RuleAllows(r, &q)
			}
			if ok {
				verbs = append(verbs, q.Verb)
			}
		}
		if len(verbs) == 0 {
			continue
		}
		what := a.Resource
		if a.Group != "" {
			what += "." + a.Group
		}
		hits = append(hits, fmt.Sprintf("%s on %s", strings.Join(verbs, ", "), what))
	}
	if len(hits) == 0 {
		return ""
	}
	s := strings.Join(hits, "; ")
	if len(r.ResourceNames) > 0 && p.Named {
		s += fmt.Sprintf(" (resourceNames %q)", r.ResourceNames)
	}
	return s
}

// Grants reports whether any rule allows the primitive.
func (p Primitive) Grants(rules []rbacv1.PolicyRule) bool {
	for i := range rules {
		if p.match(&rules[i], false) != "" {
			return true
		}
	}
	return false
}

// roleCheck is the Object check of a catalogue rule: every rule of a Role or ClusterRole
// (not of the bootstrap policy) that grants the primitive gives a result at its path.
// Two kinds of rule are left to other checks so that one line gives one finding: rules
// with resources ["*"], which rbac/wildcard-resources reports (they grant every
// primitive at once), and, in a Role, cluster-scoped resources (nodes, namespaces,
// webhook configurations...), which a Role cannot grant.
func roleCheck(p Primitive) func(*rule.Context, *inventory.Object) []rule.Result {
	return func(_ *rule.Context, o *inventory.Object) []rule.Result {
		rules, ok := Rules(o)
		if !ok || IsBootstrap(o) {
			return nil
		}
		var out []rule.Result
		inRole := o.Kind() == "Role"
		for _, r := range rules {
			if HasWildcard(r.Resources) {
				continue
			}
			if what := p.match(&r.PolicyRule, inRole); what != "" {
				out = append(out, rule.Result{
					Message: fmt.Sprintf("%s allows %s: %s%s", r.Path, what, p.Consequence, redefinition(o)),
					Path:    r.Path,
				})
			}
		}
		return out
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
// so that the two cannot drift. A rule of a Role or ClusterRole fails when it grants an
// ask of the primitive, as authz.RuleAllows matches verbs, API groups, resources (with
// "*/sub") and resourceNames. Roles of the bootstrap policy pass, and so do rules with
// resources ["*"] (rbac/wildcard-resources reports those) and, in a Role, cluster-scoped asks.
func roleCEL(p Primitive) *rule.CEL {
	grants := grantsCEL(p)
	return &rule.CEL{
		Resources:  roleResources(),
		Expression: "(" + bootstrapRoleCEL + ") || object.?rules.orValue([]).all(r, r.?resources.orValue([]).exists(x, x == '*') || !(" + grants + "))",
		Message: "object.kind + ' ' + object.metadata.?name.orValue('') + ' has a rule that allows " +
			celexpr.Escape(describeAsks(p)) + ": " + celexpr.Escape(p.Consequence) + "'",
	}
}

// grantsCEL: policy rule r allows one of the primitive's asks.
func grantsCEL(p Primitive) string {
	names := ""
	if !p.Named {
		// A rule limited by resourceNames is a narrow grant, unless it names "".
		names = " && (r.?resourceNames.orValue([]).size() == 0 || '' in r.resourceNames)"
	}
	var terms []string
	for _, a := range p.Asks {
		res := "x == '" + a.Resource + "'"
		if _, sub, ok := strings.Cut(a.Resource, "/"); ok {
			res += " || x == '*/" + sub + "'"
		}
		t := fmt.Sprintf("(r.?verbs.orValue([]).exists(v, v == '*' || v in %s) && r.?apiGroups.orValue([]).exists(g, g == '*' || g == '%s') && r.?resources.orValue([]).exists(x, %s)%s)",
			celexpr.List(a.Verbs), a.Group, res, names)
		if a.ClusterScoped() {
			t = "(object.kind == 'ClusterRole' && " + t + ")"
		}
		terms = append(terms, t)
	}
	return strings.Join(terms, " || ")
}

// describeAsks names the asks of p for a message: "create on pods/exec; get on nodes/proxy".
func describeAsks(p Primitive) string {
	var out []string
	for _, a := range p.Asks {
		what := a.Resource
		if a.Group != "" {
			what += "." + a.Group
		}
		out = append(out, strings.Join(a.Verbs, ", ")+" on "+what)
	}
	return strings.Join(out, "; ")
}

// roleResources and bindingResources are what the RBAC rules' policies match.
func roleResources() []rule.APIResources {
	return []rule.APIResources{{Group: "rbac.authorization.k8s.io", Version: "v1", Resources: []string{"roles", "clusterroles"}}}
}

func bindingResources() []rule.APIResources {
	return []rule.APIResources{{Group: "rbac.authorization.k8s.io", Version: "v1", Resources: []string{"rolebindings", "clusterrolebindings"}}}
}

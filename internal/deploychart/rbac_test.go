package deploychart

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/moat-dev/moat/internal/cluster"
	"github.com/moat-dev/moat/internal/rbac/authz"
)

// policyOf indexes the RBAC objects of a release with Moat's authorizer, which answers
// as the API server's RBAC authorizer does.
func policyOf(t *testing.T, r *rendered) *authz.Policy {
	t.Helper()
	var roles []*authz.Role
	var bindings []*authz.Binding
	for _, cr := range typed[rbacv1.ClusterRole](t, r, "ClusterRole") {
		roles = append(roles, &authz.Role{Kind: "ClusterRole", Name: cr.Name, Rules: cr.Rules, Aggregation: cr.AggregationRule})
	}
	for _, ro := range typed[rbacv1.Role](t, r, "Role") {
		roles = append(roles, &authz.Role{Kind: "Role", Namespace: ro.Namespace, Name: ro.Name, Rules: ro.Rules})
	}
	for _, b := range typed[rbacv1.ClusterRoleBinding](t, r, "ClusterRoleBinding") {
		bindings = append(bindings, &authz.Binding{Kind: "ClusterRoleBinding", Name: b.Name, RoleRef: b.RoleRef, Subjects: b.Subjects})
	}
	for _, b := range typed[rbacv1.RoleBinding](t, r, "RoleBinding") {
		bindings = append(bindings, &authz.Binding{Kind: "RoleBinding", Namespace: b.Namespace, Name: b.Name, RoleRef: b.RoleRef, Subjects: b.Subjects})
	}
	return authz.New(roles, bindings)
}

// grant is one thing the operator may do: verbs on a resource, only in namespace ns
// when set, only on the object name when set.
type grant struct {
	group, resource string
	verbs           []string
	ns, name        string
}

func (g grant) String() string {
	return fmt.Sprintf("%v %s.%s ns=%q name=%q", g.verbs, g.resource, g.group, g.ns, g.name)
}

// operatorGrants is exactly what the operator's service account should hold under a
// value set: list and watch on every kind a scan reads, its reports, its Lease, and the
// webhook's Secret and configuration when it issues the certificate.
func operatorGrants(vals map[string]any) []grant {
	var out []grant
	for _, k := range cluster.Kinds() {
		out = append(out, grant{group: k.GVK.Group, resource: k.Resource, verbs: []string{"list", "watch"}})
	}
	reportGroup, reports := "openreports.io", []string{"reports", "clusterreports"}
	if value(vals, "operator.reportAPI") == "wgpolicyk8s" {
		reportGroup, reports = "wgpolicyk8s.io", []string{"policyreports", "clusterpolicyreports"}
	}
	for _, res := range reports {
		out = append(out, grant{group: reportGroup, resource: res, verbs: []string{"get", "list", "create", "update", "delete"}})
	}
	if value(vals, "operator.leaderElection.enabled") != false {
		out = append(out,
			grant{group: "coordination.k8s.io", resource: "leases", verbs: []string{"create"}, ns: namespace},
			grant{group: "coordination.k8s.io", resource: "leases", verbs: []string{"get", "update"}, ns: namespace, name: "moat-operator"})
	}
	if value(vals, "admission.enabled") == true && value(vals, "certManager.enabled") != true {
		out = append(out,
			grant{group: "", resource: "secrets", verbs: []string{"get", "list", "watch", "update"}, ns: namespace, name: "moat-admission-tls"},
			grant{group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations", verbs: []string{"get", "list", "watch", "update"}, name: "moat-admission"})
	}
	return out
}

// value reads a dotted path of values; nil when absent.
func value(vals map[string]any, path string) any {
	var cur any = vals
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// TestOperatorRBAC asks Moat's authorizer what the chart's service accounts may do: the
// operator exactly what it needs (every kind a cluster scan lists, list and watch; its
// reports; its Lease; the webhook's Secret and configuration by name) and nothing else;
// the webhook and the audit receiver nothing at all.
func TestOperatorRBAC(t *testing.T) {
	ch := loadChart(t)
	for _, vs := range valueSets {
		vals := vs.decode(t)
		if value(vals, "operator.enabled") == false {
			continue
		}
		t.Run(vs.name, func(t *testing.T) {
			r, err := render(ch, vals)
			if err != nil {
				t.Fatal(err)
			}
			p := policyOf(t, r)
			user, groups := authz.ServiceAccountUser(namespace, "moat-operator"), authz.ServiceAccountGroups(namespace)
			want := operatorGrants(vals)

			// Every grant is held, where it should be and on the name it should be.
			for _, g := range want {
				for _, verb := range g.verbs {
					for _, ns := range scopes(g) {
						q := authz.Request{User: user, Groups: groups, Verb: verb, APIGroup: g.group, Resource: g.resource, Namespace: ns, Name: g.name}
						if ok, _ := p.Allows(q); !ok {
							t.Errorf("the operator may not %s %s.%s in %q (name %q)", verb, g.resource, g.group, ns, g.name)
						}
					}
				}
			}
			// Nothing else is: each held rule, verb by verb, resource by resource, is
			// one of the grants.
			for _, ns := range []string{"", namespace, "shop"} {
				for _, gr := range p.RulesFor(user, groups, ns) {
					for _, problem := range excess(gr.PolicyRule, gr.Binding.Namespace, want) {
						t.Error(problem)
					}
				}
			}
			// In particular nothing the scan reads is writable, under any name.
			for _, k := range cluster.Kinds() {
				for _, verb := range []string{"create", "update", "patch", "delete", "deletecollection"} {
					for _, ns := range []string{"", namespace, "shop"} {
						q := authz.Request{User: user, Groups: groups, Verb: verb, APIGroup: k.GVK.Group, Resource: k.Resource, Namespace: ns, Name: "anything"}
						if ok, _ := p.Allows(q); ok {
							t.Errorf("the operator may %s %s in %q", verb, k, ns)
						}
					}
				}
			}
			for _, sa := range []string{"moat-admission", "moat-audit"} {
				for _, ns := range []string{"", namespace} {
					if rules := p.RulesFor(authz.ServiceAccountUser(namespace, sa), authz.ServiceAccountGroups(namespace), ns); len(rules) > 0 {
						t.Errorf("service account %s holds %d rules in %q; it should hold none", sa, len(rules), ns)
					}
				}
			}
		})
	}
}

// scopes are the namespaces a grant is checked in: its own, or the cluster scope and
// two namespaces.
func scopes(g grant) []string {
	if g.ns != "" {
		return []string{g.ns}
	}
	return []string{"", namespace, "shop"}
}

// excess lists what one granted rule holds beyond the grants: a wildcard, a
// non-resource URL, or a verb on a resource that no grant has (in its namespace, on its
// name).
func excess(rule rbacv1.PolicyRule, bindingNS string, want []grant) []string {
	var out []string
	if len(rule.NonResourceURLs) > 0 {
		out = append(out, fmt.Sprintf("rule grants non-resource URLs %v", rule.NonResourceURLs))
	}
	for _, list := range [][]string{rule.Verbs, rule.APIGroups, rule.Resources, rule.ResourceNames} {
		if slices.Contains(list, "*") {
			out = append(out, fmt.Sprintf("rule %v holds a wildcard", rule))
		}
	}
	names := rule.ResourceNames
	if len(names) == 0 {
		names = []string{""}
	}
	for _, verb := range rule.Verbs {
		for _, group := range rule.APIGroups {
			for _, res := range rule.Resources {
				for _, name := range names {
					if !slices.ContainsFunc(want, func(g grant) bool {
						return g.group == group && g.resource == res && slices.Contains(g.verbs, verb) &&
							(g.ns == "" || g.ns == bindingNS) && (g.name == "" || g.name == name)
					}) {
						out = append(out, fmt.Sprintf("the operator may %s %s.%s (name %q, binding namespace %q), which it does not need", verb, res, group, name, bindingNS))
					}
				}
			}
		}
	}
	return out
}

// TestOperatorRBACDetectsExtra checks the check: a rule added to the operator's role
// that grants more than it needs is reported.
func TestOperatorRBACDetectsExtra(t *testing.T) {
	want := operatorGrants(nil)
	for _, tc := range []struct {
		name string
		rule rbacv1.PolicyRule
		ns   string
	}{
		{"get on secrets", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}}, ""},
		{"update on deployments", rbacv1.PolicyRule{Verbs: []string{"update"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}}, ""},
		{"patch on reports", rbacv1.PolicyRule{Verbs: []string{"patch"}, APIGroups: []string{"openreports.io"}, Resources: []string{"reports"}}, ""},
		{"leases in another namespace", rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}}, "shop"},
		{"another Lease by name", rbacv1.PolicyRule{Verbs: []string{"update"}, APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, ResourceNames: []string{"kube-scheduler"}}, namespace},
		{"every verb", rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{""}, Resources: []string{"pods"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(excess(tc.rule, tc.ns, want)) == 0 {
				t.Errorf("rule %v was not reported", tc.rule)
			}
		})
	}
	for _, verb := range []string{"get", "create", "update", "patch", "delete", "deletecollection"} {
		rule := rbacv1.PolicyRule{Verbs: []string{verb}, APIGroups: []string{""}, Resources: []string{"configmaps"}}
		if len(excess(rule, "", want)) == 0 {
			t.Errorf("%s on configmaps was not reported", verb)
		}
	}
	// And what the operator needs is not.
	for _, g := range want {
		rule := rbacv1.PolicyRule{Verbs: g.verbs, APIGroups: []string{g.group}, Resources: []string{g.resource}}
		if g.name != "" {
			rule.ResourceNames = []string{g.name}
		}
		if problems := excess(rule, g.ns, want); len(problems) > 0 {
			t.Errorf("a needed grant is reported: %v", problems)
		}
	}
}

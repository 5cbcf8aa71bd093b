package authz

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func rule(verbs, groups, resources, names []string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
}

// l splits a comma-separated list; l("") is [""], the core API group.
func l(s string) []string { return strings.Split(s, ",") }

func TestRuleAllows(t *testing.T) {
	tests := []struct {
		name string
		rule rbacv1.PolicyRule
		q    Request
		want bool
	}{
		{"exact verb, group and resource", rule(l("get"), l(""), l("pods"), nil), Request{Verb: "get", Resource: "pods"}, true},
		{"another verb", rule(l("get"), l(""), l("pods"), nil), Request{Verb: "list", Resource: "pods"}, false},
		{"verb wildcard", rule(l("*"), l(""), l("pods"), nil), Request{Verb: "escalate", Resource: "pods"}, true},
		{"group must match", rule(l("get"), l("apps"), l("deployments"), nil), Request{Verb: "get", APIGroup: "extensions", Resource: "deployments"}, false},
		{"group wildcard", rule(l("get"), l("*"), l("deployments"), nil), Request{Verb: "get", APIGroup: "extensions", Resource: "deployments"}, true},
		{"resource does not cover its subresource", rule(l("create"), l(""), l("pods"), nil), Request{Verb: "create", Resource: "pods", Subresource: "exec"}, false},
		{"resource/subresource", rule(l("create"), l(""), l("pods/exec"), nil), Request{Verb: "create", Resource: "pods", Subresource: "exec"}, true},
		{"*/subresource covers that subresource of anything", rule(l("get"), l("*"), l("*/scale"), nil), Request{Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "scale"}, true},
		{"*/subresource does not cover the resource", rule(l("get"), l("*"), l("*/scale"), nil), Request{Verb: "get", APIGroup: "apps", Resource: "deployments"}, false},
		{"*/subresource does not cover another subresource", rule(l("get"), l("*"), l("*/scale"), nil), Request{Verb: "get", Resource: "pods", Subresource: "status"}, false},
		{"resource wildcard covers subresources", rule(l("get"), l(""), l("*"), nil), Request{Verb: "get", Resource: "pods", Subresource: "log"}, true},
		{"named rule allows its name", rule(l("get"), l(""), l("secrets"), l("db")), Request{Verb: "get", Resource: "secrets", Name: "db"}, true},
		{"named rule refuses another name", rule(l("get"), l(""), l("secrets"), l("db")), Request{Verb: "get", Resource: "secrets", Name: "tls"}, false},
		{"named rule refuses a request without a name (list)", rule(l("list"), l(""), l("secrets"), l("db")), Request{Verb: "list", Resource: "secrets"}, false},
		{"named rule refuses create, which has no name", rule(l("create"), l(""), l("secrets"), l("db")), Request{Verb: "create", Resource: "secrets"}, false},
		{"url exact", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/metrics")}, Request{Verb: "get", NonResource: true, Path: "/metrics"}, true},
		{"url exact is not a prefix", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz")}, Request{Verb: "get", NonResource: true, Path: "/healthz/etcd"}, false},
		{"url star suffix is a prefix", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz*")}, Request{Verb: "get", NonResource: true, Path: "/healthzz"}, true},
		{"url slash star", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("/healthz/*")}, Request{Verb: "get", NonResource: true, Path: "/healthz"}, false},
		{"url wildcard", rbacv1.PolicyRule{Verbs: l("get"), NonResourceURLs: l("*")}, Request{Verb: "get", NonResource: true, Path: "/anything"}, true},
		{"resource rule does not allow urls", rule(l("*"), l("*"), l("*"), nil), Request{Verb: "get", NonResource: true, Path: "/metrics"}, false},
		{"url rule does not allow resources", rbacv1.PolicyRule{Verbs: l("*"), NonResourceURLs: l("*")}, Request{Verb: "get", Resource: "pods"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RuleAllows(&tt.rule, &tt.q); got != tt.want {
				t.Errorf("RuleAllows = %v, want %v", got, tt.want)
			}
		})
	}
}

func testPolicy() *Policy {
	readPods := []rbacv1.PolicyRule{rule(l("get,list"), l(""), l("pods"), nil)}
	secrets := []rbacv1.PolicyRule{rule(l("get"), l(""), l("secrets"), nil)}
	roles := []*Role{
		{Kind: "ClusterRole", Name: "pod-reader", Rules: readPods, Labels: map[string]string{"agg": "yes"}},
		{Kind: "ClusterRole", Name: "secret-reader", Rules: secrets, Labels: map[string]string{"agg2": "yes"}},
		{Kind: "ClusterRole", Name: "aggregate", Labels: map[string]string{"agg2": "yes"},
			Rules:       []rbacv1.PolicyRule{rule(l("delete"), l(""), l("nodes"), nil)}, // replaced
			Aggregation: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg": "yes"}}}}},
		{Kind: "ClusterRole", Name: "top",
			Aggregation: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg2": "yes"}}}}},
		{Kind: "Role", Namespace: "ci", Name: "cm", Rules: []rbacv1.PolicyRule{rule(l("update"), l(""), l("configmaps"), nil)}},
	}
	g := rbacv1.GroupName
	bindings := []*Binding{
		{Kind: "ClusterRoleBinding", Name: "alice-pods", RoleRef: rbacv1.RoleRef{APIGroup: g, Kind: "ClusterRole", Name: "pod-reader"},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: "alice"}}},
		{Kind: "ClusterRoleBinding", Name: "sa-no-ns", RoleRef: rbacv1.RoleRef{APIGroup: g, Kind: "ClusterRole", Name: "secret-reader"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "builder"}}},
		{Kind: "RoleBinding", Namespace: "ci", Name: "builder-secrets", RoleRef: rbacv1.RoleRef{APIGroup: g, Kind: "ClusterRole", Name: "secret-reader"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "builder"}}},
		{Kind: "RoleBinding", Namespace: "ci", Name: "devs-cm", RoleRef: rbacv1.RoleRef{APIGroup: g, Kind: "Role", Name: "cm"},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: "dev"}}},
		{Kind: "RoleBinding", Namespace: "web", Name: "devs-cm", RoleRef: rbacv1.RoleRef{APIGroup: g, Kind: "Role", Name: "cm"},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: "dev"}}}, // Role cm is in ci, not web
		{Kind: "RoleBinding", Namespace: "web", Name: "top", RoleRef: rbacv1.RoleRef{APIGroup: g, Kind: "ClusterRole", Name: "top"},
			Subjects: []rbacv1.Subject{{Kind: "User", Name: "bob"}}},
		{Kind: "ClusterRoleBinding", Name: "ghost", RoleRef: rbacv1.RoleRef{APIGroup: g, Kind: "ClusterRole", Name: "missing"},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: "system:authenticated"}}},
	}
	return New(roles, bindings)
}

func TestAllows(t *testing.T) {
	p := testPolicy()
	builder := ServiceAccountUser("ci", "builder")
	tests := []struct {
		name string
		q    Request
		want bool
		via  string
	}{
		{"a ClusterRoleBinding answers cluster-wide", Request{User: "alice", Verb: "list", Resource: "pods"}, true, "alice-pods"},
		{"a ClusterRoleBinding answers in a namespace", Request{User: "alice", Verb: "get", Resource: "pods", Namespace: "ci"}, true, "alice-pods"},
		{"a RoleBinding does not answer cluster-wide", Request{User: builder, Groups: ServiceAccountGroups("ci"), Verb: "get", Resource: "secrets"}, false, ""},
		{"a RoleBinding's ServiceAccount without namespace is in the binding's", Request{User: builder, Groups: ServiceAccountGroups("ci"), Verb: "get", Resource: "secrets", Namespace: "ci"}, true, "ci/builder-secrets"},
		{"the same name in another namespace is someone else", Request{User: ServiceAccountUser("web", "builder"), Groups: ServiceAccountGroups("web"), Verb: "get", Resource: "secrets", Namespace: "ci"}, false, ""},
		{"a ClusterRoleBinding's ServiceAccount without namespace matches nobody", Request{User: ServiceAccountUser("default", "builder"), Verb: "get", Resource: "secrets", Namespace: "default"}, false, ""},
		{"a group subject", Request{User: "carol", Groups: l("dev"), Verb: "update", Resource: "configmaps", Namespace: "ci"}, true, "ci/devs-cm"},
		{"a RoleBinding's Role is looked up in its own namespace", Request{User: "carol", Groups: l("dev"), Verb: "update", Resource: "configmaps", Namespace: "web"}, false, ""},
		{"aggregation replaces the written rules", Request{User: "bob", Verb: "delete", Resource: "nodes", Namespace: "web"}, false, ""},
		{"aggregation is transitive", Request{User: "bob", Verb: "list", Resource: "pods", Namespace: "web"}, true, "web/top"},
		{"aggregation collects every selected role", Request{User: "bob", Verb: "get", Resource: "secrets", Namespace: "web"}, true, "web/top"},
		{"a binding to a missing role grants nothing", Request{User: "dave", Groups: l("system:authenticated"), Verb: "get", Resource: "pods"}, false, ""},
		{"system:masters is allowed everything", Request{User: "root", Groups: l("system:masters"), Verb: "delete", Resource: "nodes"}, true, "(built in: the API server allows every request of this group)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, g := p.Allows(tt.q)
			if got != tt.want {
				t.Fatalf("Allows = %v, want %v", got, tt.want)
			}
			if got && g.Via().Binding != tt.via {
				t.Errorf("via %q, want %q", g.Via().Binding, tt.via)
			}
		})
	}
}

func TestWhoCan(t *testing.T) {
	p := testPolicy()
	var got []string
	for _, s := range p.WhoCan(Request{Verb: "get", Resource: "secrets", Namespace: "ci"}) {
		got = append(got, s.Key())
	}
	if strings.Join(got, " ") != "Group:system:masters ServiceAccount:ci/builder" {
		t.Errorf("who can get secrets in ci: %q", got)
	}
	got = got[:0]
	for _, s := range p.WhoCan(Request{Verb: "list", Resource: "pods", Namespace: "web"}) {
		got = append(got, s.Key())
	}
	if strings.Join(got, " ") != "User:alice User:bob Group:system:masters" {
		t.Errorf("who can list pods in web: %q", got)
	}
}

func TestRulesFor(t *testing.T) {
	p := testPolicy()
	rules := p.RulesFor("bob", l("system:authenticated"), "web")
	if len(rules) != 2 {
		t.Fatalf("bob in web holds %d rules, want the 2 aggregated into top", len(rules))
	}
	for _, r := range rules {
		if r.Binding.Ref() != "web/top" {
			t.Errorf("rule %v through %s", r.PolicyRule, r.Binding.Ref())
		}
	}
	if n := len(p.RulesFor("bob", nil, "")); n != 0 {
		t.Errorf("bob cluster-wide holds %d rules, want 0", n)
	}
}

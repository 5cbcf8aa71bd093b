package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func TestPrimitiveMatch(t *testing.T) {
	tests := []struct {
		name   string
		p      Primitive
		rule   rbacv1.PolicyRule
		inRole bool
		want   string
	}{
		{"verbs are listed per resource", ReadSecrets,
			rbacv1.PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"secrets"}}, false,
			"get, list on secrets"},
		{"a rule limited by resourceNames is a narrow grant", ReadSecrets,
			rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"db"}}, false, ""},
		{"a named primitive counts resourceNames", Impersonate,
			rbacv1.PolicyRule{Verbs: []string{"impersonate"}, APIGroups: []string{""}, Resources: []string{"groups"}, ResourceNames: []string{"system:masters"}}, false,
			`impersonate on groups (resourceNames ["system:masters"])`},
		{"another API group is another resource", ReadSecrets,
			rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"example.com"}, Resources: []string{"secrets"}}, false, ""},
		{"*/subresource matches the subresource", ExecIntoPods,
			rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"*/exec"}}, false, "create on pods/exec"},
		{"a Role cannot grant a cluster-scoped resource", ModifyNodes,
			rbacv1.PolicyRule{Verbs: []string{"patch"}, APIGroups: []string{""}, Resources: []string{"nodes"}}, true, ""},
		{"a ClusterRole can", ModifyNodes,
			rbacv1.PolicyRule{Verbs: []string{"patch"}, APIGroups: []string{""}, Resources: []string{"nodes"}}, false, "patch on nodes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.match(&tt.rule, tt.inRole); got != tt.want {
				t.Errorf("match = %q, want %q", got, tt.want)
			}
		})
	}
}

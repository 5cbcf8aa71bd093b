package rbac

import (
	"fmt"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
)

func decodeOne(t *testing.T, doc string) *inventory.Object {
	t.Helper()
	objs, errs := inventory.Decode(strings.NewReader(doc), "test.yaml")
	if len(errs) > 0 || len(objs) != 1 {
		t.Fatalf("decode: %v (%d objects)", errs, len(objs))
	}
	return objs[0]
}

func TestBindingOf(t *testing.T) {
	tests := []struct {
		name, doc string
		role      string
		subjects  []string
	}{
		{"v1 ClusterRoleBinding", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: ServiceAccount, name: app, namespace: shop}
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}
`, `ClusterRole "view"`, []string{`ServiceAccount "shop/app"`, `User "alice"`}},
		{"a ServiceAccount without namespace is in the RoleBinding's", `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: b, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
- {kind: ServiceAccount, name: app}
`, `Role "reader"`, []string{`ServiceAccount "shop/app"`}},
		{"v1beta1 reads the same", `apiVersion: rbac.authorization.k8s.io/v1beta1
kind: RoleBinding
metadata: {name: b, namespace: legacy}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {kind: Group, apiGroup: rbac.authorization.k8s.io, name: devs}
`, `ClusterRole "edit"`, []string{`Group "devs"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ok := BindingOf(decodeOne(t, tt.doc))
			if !ok {
				t.Fatal("not read as a binding")
			}
			if got := b.DescribeRole(); got != tt.role {
				t.Errorf("role %s, want %s", got, tt.role)
			}
			var got []string
			for i, s := range b.Subjects {
				got = append(got, b.Describe(s))
				if want := fmt.Sprintf("subjects[%d]", i); s.Path != want {
					t.Errorf("path %s, want %s", s.Path, want)
				}
			}
			if strings.Join(got, ", ") != strings.Join(tt.subjects, ", ") {
				t.Errorf("subjects %q, want %q", got, tt.subjects)
			}
		})
	}
}

func TestRulesAndBootstrap(t *testing.T) {
	tests := []struct {
		name, doc string
		isRole    bool
		rules     []string
		bootstrap bool
	}{
		{"v1alpha1 ClusterRole", `apiVersion: rbac.authorization.k8s.io/v1alpha1
kind: ClusterRole
metadata: {name: r}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
- {nonResourceURLs: [/metrics], verbs: [get]}
`, true, []string{`rules[0] resources ["pods"] in apiGroups [""]`, `rules[1] nonResourceURLs ["/metrics"]`}, false},
		{"the API server's cluster-admin", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
`, true, []string{`rules[0] resources ["*"] in apiGroups ["*"]`}, true},
		{"the bootstrap label on a name the API server does not use", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: my-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules: []
`, true, nil, false},
		{"a binding has no rules", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
`, false, nil, false},
		{"a Role of another API group is not RBAC", `apiVersion: iam.example.com/v1
kind: Role
metadata: {name: r}
rules: [{verbs: ["*"]}]
`, false, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := decodeOne(t, tt.doc)
			rules, ok := Rules(o)
			if ok != tt.isRole {
				t.Fatalf("read as a role: %v, want %v", ok, tt.isRole)
			}
			var got []string
			for _, r := range rules {
				got = append(got, r.Path+" "+r.Describe())
			}
			if strings.Join(got, "\n") != strings.Join(tt.rules, "\n") {
				t.Errorf("rules %q, want %q", got, tt.rules)
			}
			if IsBootstrap(o) != tt.bootstrap {
				t.Errorf("bootstrap %v, want %v", IsBootstrap(o), tt.bootstrap)
			}
		})
	}
}

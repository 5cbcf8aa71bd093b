// Rule rbac/default-service-account-bound: no RoleBinding or ClusterRoleBinding should
// name a namespace's "default" service account. Every pod that names no service
// account runs as "default", so a role bound to it goes to every such pod of the
// namespace, present and future. Bindings of the kube-apiserver bootstrap policy are
// left out.
package rbac

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/default-service-account-bound",
			Title:    "Binding grants permissions to a default service account",
			Severity: finding.Medium,
			Description: `A RoleBinding or ClusterRoleBinding names the service account "default". Every pod
that sets no serviceAccountName runs as its namespace's default service account, so the
bound role goes to all of them, including pods added later by anyone who may create pods
there. CIS Kubernetes Benchmark 5.1.5 (ensure that default service accounts are not
actively used); NSA/CISA Kubernetes Hardening Guide, authentication and authorization.
Bindings of the kube-apiserver bootstrap policy are not reported.`,
			Remediation: "Create a service account for the workload that needs the role, bind the role to it, set serviceAccountName in its pod template, and leave default without bindings.",
			Frameworks:  finding.Frameworks{CIS: "5.1.5", NSA: "authentication-authorization", MITRE: "T1078.001"},
			Kinds:       []string{"ClusterRoleBinding", "RoleBinding"},
		},
		Object: checkDefaultServiceAccountBound,
		CEL: &rule.CEL{
			Resources: bindingResources(),
			Expression: "(" + bootstrapRoleCEL + ") || !object.?subjects.orValue([]).exists(s, s.?kind.orValue('') == 'ServiceAccount' && s.?name.orValue('') == 'default' && " +
				"!(s.?namespace.orValue('') == '' && object.kind == 'ClusterRoleBinding'))",
			Message: "'binds ' + object.?roleRef.?kind.orValue('') + ' ' + object.?roleRef.?name.orValue('') + ' to a \"default\" service account: every pod of that namespace without its own serviceAccountName gets it'",
		},
	})
}

func checkDefaultServiceAccountBound(_ *rule.Context, o *inventory.Object) []rule.Result {
	b, ok := BindingOf(o)
	if !ok || IsBootstrap(o) {
		return nil
	}
	var out []rule.Result
	for _, s := range b.Subjects {
		if s.Kind != rbacv1.ServiceAccountKind || s.Name != "default" {
			continue
		}
		if s.Namespace == "" && o.Kind() == "ClusterRoleBinding" {
			continue // matches nobody
		}
		out = append(out, rule.Result{
			Message: fmt.Sprintf("binds %s to %s: every pod of that namespace without its own serviceAccountName gets it", b.DescribeRole(), b.Describe(s)),
			Path:    s.Path,
		})
	}
	return out
}

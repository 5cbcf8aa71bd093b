// Rule rbac/binding-to-all-authenticated: no binding should name the group
// system:authenticated, which holds every user and service account that the API server
// authenticates: any workload's token, any cloud account the cluster accepts. Left out
// are bindings of the ClusterRoles the kube-apiserver bootstrap policy binds to it by
// default, which only allow discovery and self-review: system:basic-user,
// system:discovery, system:public-info-viewer, and system:service-account-issuer-discovery
// (which the Kubernetes docs suggest binding to all authenticated callers).
package rbac

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// authenticatedRoles are the ClusterRoles meant for every authenticated caller.
var authenticatedRoles = map[string]bool{
	"system:basic-user":                       true,
	"system:discovery":                        true,
	"system:public-info-viewer":               true,
	"system:service-account-issuer-discovery": true,
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/binding-to-all-authenticated",
			Title:    "Binding grants permissions to every authenticated user",
			Severity: finding.High,
			Description: `A ClusterRoleBinding or RoleBinding names the group system:authenticated. Every
authenticated caller is in it: every service account token of every pod, and, on managed
clusters, often any account of the cloud provider the cluster trusts. A role bound to it
is open to anyone who gets hold of any credential. NSA/CISA Kubernetes Hardening Guide,
authentication and authorization (least privilege). Bindings of the ClusterRoles that the
kube-apiserver bootstrap policy binds to system:authenticated by default
(system:basic-user, system:discovery, system:public-info-viewer) and of
system:service-account-issuer-discovery are not reported.`,
			Remediation: "Replace system:authenticated in the binding's subjects with the users, groups or service accounts that need the role.",
			Frameworks:  finding.Frameworks{NSA: "authentication-authorization", MITRE: "T1078"},
			Kinds:       []string{"ClusterRoleBinding", "RoleBinding"},
		},
		Object: checkBindingToAllAuthenticated,
		CEL: &rule.CEL{
			Resources: bindingResources(),
			Expression: "(object.?roleRef.?kind.orValue('') == 'ClusterRole' && object.?roleRef.?name.orValue('') in ['system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:service-account-issuer-discovery']) || " +
				"!object.?subjects.orValue([]).exists(s, s.?kind.orValue('') == 'Group' && s.?name.orValue('') == 'system:authenticated')",
			Message: "'binds ' + object.?roleRef.?kind.orValue('') + ' ' + object.?roleRef.?name.orValue('') + ' to Group system:authenticated: every authenticated user and every service account token in the cluster gets its permissions'",
		},
	})
}

func checkBindingToAllAuthenticated(_ *rule.Context, o *inventory.Object) []rule.Result {
	b, ok := BindingOf(o)
	if !ok || (b.RoleRef.Kind == "ClusterRole" && authenticatedRoles[b.RoleRef.Name]) {
		return nil
	}
	var out []rule.Result
	for _, s := range b.Subjects {
		if s.Kind != "Group" || s.Name != GroupAuthenticated {
			continue
		}
		out = append(out, rule.Result{
			Message: fmt.Sprintf("binds %s to %s: every authenticated user and every service account token in the cluster gets its permissions", b.DescribeRole(), b.Describe(s)),
			Path:    s.Path,
		})
	}
	return out
}

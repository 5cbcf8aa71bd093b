// Rule rbac/binding-to-unauthenticated: no binding should name the user system:anonymous
// or the group system:unauthenticated, whose permissions anyone who can reach the API
// server has without credentials. Left out are bindings of the two ClusterRoles that the
// kube-apiserver bootstrap policy and the Kubernetes docs intend for anonymous callers:
// system:public-info-viewer (read /version, /healthz, /livez, /readyz; bound to
// system:unauthenticated by default) and system:service-account-issuer-discovery (read
// the OIDC discovery document and keys). system:discovery and system:basic-user are not
// left out: Kubernetes 1.14 unbound them from system:unauthenticated (KEP "Harden the
// default RBAC discovery ClusterRoleBindings"), and clusters upgraded from before keep
// the old subjects, which is exactly what this rule is for.
package rbac

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// publicRoles are the ClusterRoles meant for callers without credentials.
var publicRoles = map[string]bool{
	"system:public-info-viewer":               true,
	"system:service-account-issuer-discovery": true,
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/binding-to-unauthenticated",
			Title:    "Binding grants permissions to anonymous users",
			Severity: finding.Critical,
			Description: `A ClusterRoleBinding or RoleBinding names the user system:anonymous or the group
system:unauthenticated. When anonymous authentication is on (the kube-apiserver default),
every request without credentials is made as system:anonymous in system:unauthenticated,
so anyone who can reach the API server gets the bound role. NSA/CISA Kubernetes
Hardening Guide, authentication and authorization (disable anonymous requests); related
to CIS Kubernetes Benchmark 1.2.1 (--anonymous-auth=false). Bindings of the ClusterRoles
system:public-info-viewer and system:service-account-issuer-discovery, which the
kube-apiserver bootstrap policy and the Kubernetes docs mean for anonymous callers, are
not reported; bindings of system:discovery and system:basic-user are, since Kubernetes
1.14 removed them from system:unauthenticated.`,
			Remediation: "Remove system:anonymous and system:unauthenticated from the binding's subjects and bind the role to the users, groups or service accounts that need it.",
			Frameworks:  finding.Frameworks{NSA: "authentication-authorization", MITRE: "T1078.001"},
			Kinds:       []string{"ClusterRoleBinding", "RoleBinding"},
		},
		Object: checkBindingToUnauthenticated,
		CEL: &rule.CEL{
			Resources: bindingResources(),
			Expression: "(object.?roleRef.?kind.orValue('') == 'ClusterRole' && object.?roleRef.?name.orValue('') in ['system:public-info-viewer', 'system:service-account-issuer-discovery']) || " +
				"!object.?subjects.orValue([]).exists(s, s.?kind.orValue('') != 'ServiceAccount' && s.?name.orValue('') in ['system:anonymous', 'system:unauthenticated'])",
			Message: "'binds ' + object.?roleRef.?kind.orValue('') + ' ' + object.?roleRef.?name.orValue('') + ' to system:anonymous or system:unauthenticated: anyone who can reach the API server gets its permissions without credentials'",
		},
	})
}

func checkBindingToUnauthenticated(_ *rule.Context, o *inventory.Object) []rule.Result {
	b, ok := BindingOf(o)
	if !ok || (b.RoleRef.Kind == "ClusterRole" && publicRoles[b.RoleRef.Name]) {
		return nil
	}
	var out []rule.Result
	for _, s := range b.Subjects {
		if s.Kind == "ServiceAccount" || (s.Name != UserAnonymous && s.Name != GroupUnauthenticated) {
			continue
		}
		out = append(out, rule.Result{
			Message: fmt.Sprintf("binds %s to %s: anyone who can reach the API server gets its permissions without credentials", b.DescribeRole(), b.Describe(s)),
			Path:    s.Path,
		})
	}
	return out
}

// Rule rbac/wildcard-resources: a rule of a Role or ClusterRole must not grant access to
// resources "*". The wildcard covers secrets, pods/exec, roles and bindings, and every
// resource a CRD adds later; with apiGroups "*" as well it covers every API group. The
// roles of the kube-apiserver bootstrap policy (labelled
// kubernetes.io/bootstrapping=rbac-defaults) are not flagged, as in rbac/wildcard-verbs.
package rbac

import (
	"fmt"
	"slices"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/wildcard-resources",
			Title:    "Role grants access to every resource with \"*\"",
			Severity: finding.High,
			Description: `A Role or ClusterRole rule lists "*" in resources. The wildcard covers secrets,
pods/exec, serviceaccounts/token, roles and rolebindings, and every resource that a
CustomResourceDefinition or a later Kubernetes release adds; with apiGroups "*" it spans
every API group. CIS Kubernetes Benchmark 5.1.3 (minimize wildcard use in Roles and
ClusterRoles); NSA/CISA Kubernetes Hardening Guide, authentication and authorization
(least privilege). Roles of the kube-apiserver bootstrap policy, labelled
kubernetes.io/bootstrapping=rbac-defaults, are not reported.`,
			Remediation: "List the resources and API groups the subjects need instead of \"*\".",
			Frameworks:  finding.Frameworks{CIS: "5.1.3", NSA: "authentication-authorization", MITRE: "T1078"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: checkWildcardResources,
		CEL: &rule.CEL{
			Resources:  roleResources(),
			Expression: "(" + bootstrapRoleCEL + ") || object.?rules.orValue([]).all(r, !r.?resources.orValue([]).exists(x, x == '*'))",
			Message:    "object.kind + ' ' + object.metadata.?name.orValue('') + ' has a rule that grants every resource (resources [\"*\"])'",
		},
	})
}

func checkWildcardResources(_ *rule.Context, o *inventory.Object) []rule.Result {
	rules, ok := Rules(o)
	if !ok || IsBootstrap(o) {
		return nil
	}
	var out []rule.Result
	for _, r := range rules {
		if !HasWildcard(r.Resources) {
			continue
		}
		scope := fmt.Sprintf("in apiGroups %q", r.APIGroups)
		if HasWildcard(r.APIGroups) {
			scope = "of every API group (apiGroups [\"*\"])"
		}
		if HasWildcard(r.APIGroups) || slices.Contains(r.APIGroups, "") {
			scope += ", secrets included"
		}
		out = append(out, rule.Result{
			Message: fmt.Sprintf("%s grants verbs %q on every resource (resources [\"*\"]) %s%s", r.Path, r.Verbs, scope, redefinition(o)),
			Path:    r.Path + ".resources",
		})
	}
	return out
}

// Rule rbac/wildcard-verbs: a rule of a Role or ClusterRole must not grant the verb "*".
// "*" grants every verb there is and every verb added later, including escalate, bind
// and impersonate where they apply. A rule with "*" for verbs, resources and API groups
// at once (and no resourceNames) in a ClusterRole equals cluster-admin and is critical. The roles of the kube-apiserver
// bootstrap policy (cluster-admin, system:*) carry the label
// kubernetes.io/bootstrapping=rbac-defaults and are not flagged: the API server creates
// and restores them itself. A manifest that redefines cluster-admin, admin, edit or view
// without that label is flagged like any role, with a note.
package rbac

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/wildcard-verbs",
			Title:    "Role grants every verb with \"*\"",
			Severity: finding.High,
			Description: `A Role or ClusterRole rule lists "*" in verbs. The wildcard grants every verb on the
resources it names, including delete, deletecollection, escalate, bind and impersonate
where they apply, and every verb a later Kubernetes release adds. A rule with "*" in
verbs, resources and apiGroups of a ClusterRole, and no resourceNames, grants as much as
cluster-admin and is reported as critical. CIS Kubernetes Benchmark 5.1.3 (minimize wildcard use in Roles and
ClusterRoles); NSA/CISA Kubernetes Hardening Guide, authentication and authorization
(least privilege). Roles of the kube-apiserver bootstrap policy, labelled
kubernetes.io/bootstrapping=rbac-defaults, are not reported.`,
			Remediation: "List the verbs the subjects need (for example get, list, watch) instead of \"*\".",
			Frameworks:  finding.Frameworks{CIS: "5.1.3", NSA: "authentication-authorization", MITRE: "T1078"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: checkWildcardVerbs,
		CEL: &rule.CEL{
			Resources:  roleResources(),
			Expression: "(" + bootstrapRoleCEL + ") || object.?rules.orValue([]).all(r, !r.?verbs.orValue([]).exists(v, v == '*'))",
			Message:    "object.kind + ' ' + object.metadata.?name.orValue('') + ' has a rule that grants every verb (verbs [\"*\"])'",
		},
	})
}

func checkWildcardVerbs(_ *rule.Context, o *inventory.Object) []rule.Result {
	rules, ok := Rules(o)
	if !ok || IsBootstrap(o) {
		return nil
	}
	var out []rule.Result
	for _, r := range rules {
		if !HasWildcard(r.Verbs) {
			continue
		}
		res := rule.Result{
			Message: fmt.Sprintf("%s grants every verb (verbs [\"*\"]) on %s%s", r.Path, r.Describe(), redefinition(o)),
			Path:    r.Path + ".verbs",
		}
		switch {
		case !HasWildcard(r.Resources) || !HasWildcard(r.APIGroups) || len(r.ResourceNames) > 0:
			// resourceNames limit the rule to the objects they name.
		case o.Kind() == "Role":
			res.Message = fmt.Sprintf("%s grants every verb on every resource of every API group: full control of namespace %q, its Secrets and RBAC included", r.Path, o.EffectiveNamespace())
		default:
			crit := finding.Critical
			res.Severity = &crit
			res.Message = fmt.Sprintf("%s grants every verb on every resource of every API group: as much as cluster-admin%s", r.Path, redefinition(o))
		}
		out = append(out, res)
	}
	return out
}

// Rule rbac/cluster-admin-binding: no ClusterRoleBinding or RoleBinding should bind the
// ClusterRole cluster-admin. Bound cluster-wide it grants every action on every resource;
// bound in a namespace by a RoleBinding it grants every action there, RBAC included, and
// is reported as medium. The group system:masters is left out: the API server's own
// binding gives it cluster-admin, and its members pass every authorization check anyway.
package rbac

import (
	"fmt"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/cluster-admin-binding",
			Title:    "Binding grants cluster-admin",
			Severity: finding.High,
			Description: `A ClusterRoleBinding or RoleBinding refers to the ClusterRole cluster-admin. Through a
ClusterRoleBinding its subjects may do anything to any resource in the cluster; through a
RoleBinding, anything in that namespace, including its Roles, RoleBindings and Secrets
(reported as medium). CIS Kubernetes Benchmark 5.1.1 (ensure that the cluster-admin role
is only used where required); NSA/CISA Kubernetes Hardening Guide, authentication and
authorization. Subjects of the group system:masters, which the kube-apiserver bootstrap
policy binds to cluster-admin and which bypasses authorization anyway, are not reported.`,
			Remediation: "Bind a role that grants only what the subjects need (for example admin, edit or view in one namespace, or a custom ClusterRole) and remove the cluster-admin binding.",
			Frameworks:  finding.Frameworks{CIS: "5.1.1", NSA: "authentication-authorization", MITRE: "T1078"},
			Kinds:       []string{"ClusterRoleBinding", "RoleBinding"},
		},
		Object: checkClusterAdminBinding,
		CEL: &rule.CEL{
			Resources:  bindingResources(),
			Expression: "!(object.?roleRef.?kind.orValue('') == 'ClusterRole' && object.?roleRef.?name.orValue('') == 'cluster-admin') || object.?subjects.orValue([]).all(s, s.?kind.orValue('') == 'Group' && s.?name.orValue('') == 'system:masters')",
			Message:    "'grants cluster-admin to ' + object.?subjects.orValue([]).filter(s, !(s.?kind.orValue('') == 'Group' && s.?name.orValue('') == 'system:masters')).map(s, s.?kind.orValue('') + ' ' + s.?name.orValue('')).join(', ')",
		},
	})
}

func checkClusterAdminBinding(_ *rule.Context, o *inventory.Object) []rule.Result {
	b, ok := BindingOf(o)
	if !ok || b.RoleRef.Kind != "ClusterRole" || b.RoleRef.Name != ClusterAdmin {
		return nil
	}
	var who []string
	for _, s := range b.Subjects {
		if s.Kind == "Group" && s.Name == GroupMasters {
			continue
		}
		who = append(who, b.Describe(s))
	}
	if len(who) == 0 {
		return nil
	}
	res := rule.Result{Path: "roleRef.name"}
	if o.Kind() == "RoleBinding" {
		med := finding.Medium
		res.Severity = &med
		res.Message = fmt.Sprintf("grants cluster-admin in namespace %q to %s: full control of that namespace, its Secrets and RBAC included", o.EffectiveNamespace(), strings.Join(who, ", "))
	} else {
		res.Message = fmt.Sprintf("grants cluster-admin to %s: full control of every resource in the cluster", strings.Join(who, ", "))
	}
	return []rule.Result{res}
}

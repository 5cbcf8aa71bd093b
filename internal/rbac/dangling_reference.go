// Rule rbac/dangling-reference: a binding should refer to a role and to subjects that
// exist. A binding whose Role or ClusterRole is missing grants nothing today, and grants
// whatever the first person to create a role of that name writes into it; a
// ServiceAccount subject that does not exist goes to whoever creates it; a binding
// without subjects, or a ClusterRoleBinding naming a ServiceAccount without a
// namespace, binds nobody. Roles are looked up in the scan and among the built-in roles
// of the target Kubernetes release (inv.Builtin: the bootstrap ClusterRoles and the
// Roles of kube-system and kube-public); when the inventory has none of those (a live
// scan reads the cluster's own), ClusterRoles with built-in names (cluster-admin,
// admin, edit, view, system:*) are taken to exist. ServiceAccounts are looked up only
// in namespaces whose ServiceAccounts the scan holds ("default" always exists).
package rbac

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/dangling-reference",
			Title:    "Binding refers to a role or subject that does not exist",
			Severity: finding.Low,
			Description: `A RoleBinding or ClusterRoleBinding refers to a Role or ClusterRole that is not in the
scan, names a ServiceAccount that does not exist in a namespace whose ServiceAccounts the
scan holds, has no subjects, or (a ClusterRoleBinding) names a ServiceAccount without a
namespace, which matches nobody. A binding to a missing role grants nothing today and
grants whatever is later written into a role of that name; a missing service account's
permissions go to whoever creates it. Kubernetes docs, RBAC good practices (bindings to
objects that do not exist yet); Kubescape practice. The built-in roles of the target
Kubernetes release (--kube-version) exist in every cluster and count as existing.`,
			Remediation: "Delete the binding, or create the role and service account it refers to in the same change, and remove subjects that no longer exist.",
			Frameworks:  finding.Frameworks{NSA: "authentication-authorization", MITRE: "T1098"},
			Kinds:       []string{"ClusterRoleBinding", "RoleBinding"},
		},
		Inventory: checkDanglingReference,
	})
}

func checkDanglingReference(c *rule.Context) []rule.Result {
	inv := c.Inventory
	p := scanPolicy(c)
	knownSAs := map[string]map[string]bool{}
	for _, o := range inv.Kind("ServiceAccount") {
		if o.GVK.Group != "" {
			continue
		}
		ns := o.EffectiveNamespace()
		if knownSAs[ns] == nil {
			knownSAs[ns] = map[string]bool{"default": true}
		}
		knownSAs[ns][o.Name()] = true
	}
	var out []rule.Result
	for _, b := range p.Bindings() {
		o := SourceObject(b.Source)
		if o == nil || IsBootstrap(o) {
			continue
		}
		if b.Role() == nil && !(inv.Builtin == nil && b.RoleRef.Kind == "ClusterRole" && IsBuiltinName(b.RoleRef.Name)) {
			where := "in the scan"
			if inv.Builtin != nil {
				where = "in the scan or among the built-in roles of the target Kubernetes release"
			}
			if b.RoleRef.Kind == "Role" {
				where = fmt.Sprintf("in namespace %q", b.Namespace)
				if b.Kind == "ClusterRoleBinding" {
					where = "(a ClusterRoleBinding can only refer to a ClusterRole)"
				}
			}
			out = append(out, rule.Result{Object: o, Path: "roleRef.name",
				Message: fmt.Sprintf("refers to %s, which does not exist %s: it grants nothing now, and whatever a role of that name is later given", b.RoleRefString(), where)})
		}
		if len(b.Subjects) == 0 {
			out = append(out, rule.Result{Object: o, Path: "roleRef",
				Message: fmt.Sprintf("binds %s to no subject", b.RoleRefString())})
		}
		for i, s := range b.Subjects {
			if s.Kind != rbacv1.ServiceAccountKind {
				continue
			}
			path := fmt.Sprintf("subjects[%d]", i)
			ns := s.Namespace
			if ns == "" {
				ns = b.Namespace
			}
			switch {
			case ns == "":
				out = append(out, rule.Result{Object: o, Path: path,
					Message: fmt.Sprintf("names ServiceAccount %q without a namespace, which in a ClusterRoleBinding matches nobody", s.Name)})
			case knownSAs[ns] != nil && !knownSAs[ns][s.Name]:
				out = append(out, rule.Result{Object: o, Path: path,
					Message: fmt.Sprintf("names ServiceAccount %q, which does not exist: whoever creates it gets %s", ns+"/"+s.Name, b.RoleRefString())})
			}
		}
	}
	return out
}

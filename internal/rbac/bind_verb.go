// Rule rbac/bind-verb: a Role or ClusterRole rule must not allow the verb bind on roles
// or clusterroles: with it, a holder who can create bindings binds roles with
// permissions they do not hold (cluster-admin, if not limited by resourceNames).
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

var (
	// bindClusterAdmin is binding cluster-admin with a ClusterRoleBinding: a Role's bind
	// serves RoleBindings of its namespace only.
	bindClusterAdmin         = named(ClusterAdmin, cluster(asks(Group, []string{"bind"}, "clusterroles")))
	writeClusterRoleBindings = asks(Group, []string{"create", "update", "patch"}, "clusterrolebindings")
)

// BindVerb is the bind verb on Roles and ClusterRoles.
var BindVerb = Primitive{
	Asks:        asks(Group, []string{"bind"}, "roles", "clusterroles"),
	Named:       true,
	Consequence: "grant the roles the rule covers to anyone, themselves included, without holding their permissions, wherever they may create or change bindings",
	Clauses: []Clause{
		{If: bindClusterAdmin, And: writeClusterRoleBindings, Text: "make themselves cluster-admin, as the role also allows writing ClusterRoleBindings"},
		{If: bindClusterAdmin, Unless: writeClusterRoleBindings, Text: "bind cluster-admin, which with create on clusterrolebindings makes them cluster-admin"},
	},
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/bind-verb",
			Title:    "Role can bind roles it does not hold (bind verb)",
			Severity: finding.High,
			Description: `A Role or ClusterRole rule allows bind on roles or clusterroles. The API server normally
refuses a binding to a role with permissions its writer does not hold; bind lifts that
check for the roles it names, so the holder who can also create RoleBindings or
ClusterRoleBindings grants those roles to anyone, themselves included. CIS Kubernetes
Benchmark 5.1.8 (limit use of the bind, impersonate and escalate permissions);
Kubernetes docs, RBAC good practices (bind verb).
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Remove the bind verb, or limit it with resourceNames to the roles the subjects are meant to hand out.",
			Frameworks:  finding.Frameworks{CIS: "5.1.8", NSA: "authentication-authorization", MITRE: "T1098"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(BindVerb),
		CEL:    roleCEL(BindVerb),
	})
}

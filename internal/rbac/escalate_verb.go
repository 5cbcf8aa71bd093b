// Rule rbac/escalate-verb: a Role or ClusterRole rule must not allow the verb escalate
// on roles or clusterroles: it lets its holder write rules they do not hold themselves
// into a role, and so give themselves any permission. The API server asks escalate on
// a ClusterRole without a namespace, so in a Role only escalate on roles counts.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// EscalateVerb is the escalate verb on Roles and ClusterRoles.
var EscalateVerb = Primitive{
	Asks:        append(asks(Group, []string{"escalate"}, "roles"), cluster(asks(Group, []string{"escalate"}, "clusterroles"))...),
	Named:       true,
	Consequence: "write permissions they do not hold into the roles the rule covers",
	Clauses: []Clause{
		{If: named(AnyName, cluster(asks(Group, []string{"escalate"}, "clusterroles"))), And: named(AnyName, cluster(asks(Group, changeVerbs, "clusterroles"))),
			Text: "rewrite a ClusterRole they may update to allow everything, which makes them cluster-admin if it is bound to them"},
		{If: named(AnyName, asks(Group, []string{"escalate"}, "roles")), And: named(AnyName, asks(Group, changeVerbs, "roles")),
			Text: "rewrite a Role they may update to allow everything in its namespace"},
		{Unless: named(AnyName, append(asks(Group, changeVerbs, "roles"), cluster(asks(Group, changeVerbs, "clusterroles"))...)),
			Text: "this role does not let them update roles: with update or patch on one bound to them, they would hold any permission"},
	},
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/escalate-verb",
			Title:    "Role can escalate privileges (escalate verb)",
			Severity: finding.Critical,
			Description: `A Role or ClusterRole rule allows escalate on roles or clusterroles. The API server
normally refuses a role that grants more than its writer holds; escalate lifts that
check, so the holder can write any permission into a role bound to themselves. CIS
Kubernetes Benchmark 5.1.8 (limit use of the bind, impersonate and escalate
permissions); Kubernetes docs, RBAC good practices (escalate verb). The API server
asks escalate on a ClusterRole without a namespace, so a Role's escalate on clusterroles
grants nothing and is not reported.
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Remove the escalate verb; let administrators who already hold the permissions edit roles.",
			Frameworks:  finding.Frameworks{CIS: "5.1.8", NSA: "authentication-authorization", MITRE: "T1098"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(EscalateVerb),
		CEL:    roleCEL(EscalateVerb),
	})
}

// Rule rbac/escalate-verb: a Role or ClusterRole rule must not allow the verb escalate
// on roles or clusterroles: it lets its holder write rules they do not hold themselves
// into a role, and so give themselves any permission.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// EscalateVerb is the escalate verb on Roles and ClusterRoles.
var EscalateVerb = Primitive{
	Asks:        asks("rbac.authorization.k8s.io", []string{"escalate"}, "roles", "clusterroles"),
	Named:       true,
	Consequence: "its subjects can write any permission into a role, their own included, which is a path to cluster-admin",
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
permissions); Kubernetes docs, RBAC good practices (escalate verb).
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

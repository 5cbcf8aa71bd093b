// Rule rbac/read-secrets: a Role or ClusterRole rule must not allow get, list or watch
// on Secrets without resourceNames. Whoever holds it reads every Secret in its scope:
// service account tokens, TLS keys, registry and database credentials. A rule limited to
// named Secrets is the narrow grant it should be and is not reported.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

var (
	getSecrets  = asks("", []string{"get"}, "secrets")
	listSecrets = asks("", []string{"list", "watch"}, "secrets")
)

// ReadSecrets is reading Secrets: get, list or watch on secrets.
var ReadSecrets = Primitive{
	Asks: asks("", readVerbs, "secrets"),
	Clauses: []Clause{
		{If: listSecrets, Text: "read every Secret in scope with its data (service account tokens, keys, passwords): list and watch return it"},
		{If: getSecrets, Unless: listSecrets, Text: "read any Secret in scope whose name they know (service account tokens, keys, passwords)"},
	},
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/read-secrets",
			Title:    "Role can read Secrets",
			Severity: finding.High,
			Description: `A Role or ClusterRole rule allows get, list or watch on secrets without resourceNames.
Secrets hold service account tokens, TLS keys and credentials; list and watch return
their data, not only names, so holding any of these verbs means reading them all in the
role's scope (every namespace through a ClusterRoleBinding). CIS Kubernetes Benchmark
5.1.2 (minimize access to secrets); Kubernetes docs, RBAC good practices (listing
secrets). Rules limited by resourceNames are not reported.
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Grant get on the named Secrets the workload needs (resourceNames), or mount them into the pod instead of reading them through the API.",
			Frameworks:  finding.Frameworks{CIS: "5.1.2", NSA: "authentication-authorization", MITRE: "T1552.007"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(ReadSecrets),
		CEL:    roleCEL(ReadSecrets),
	})
}

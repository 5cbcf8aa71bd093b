// Rule rbac/impersonate: a Role or ClusterRole rule must not allow impersonate on users,
// groups, serviceaccounts, uids or userextras: the holder acts as someone else, for
// example as a member of system:masters, with all of their permissions.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

var (
	impersonateMasters = named(GroupMasters, asks("", []string{"impersonate"}, "groups"))
	impersonateUser    = named(AnyName, asks("", []string{"impersonate"}, "users", "serviceaccounts"))
)

// Impersonate is impersonating users, groups, service accounts, UIDs or user extras.
var Impersonate = Primitive{
	Asks:        append(asks("", []string{"impersonate"}, "users", "groups", "serviceaccounts"), asks("authentication.k8s.io", []string{"impersonate"}, "uids", "userextras/scopes")...),
	Named:       true,
	Consequence: "send requests as the identities the rule covers and hold their permissions",
	Clauses: []Clause{
		{If: impersonateMasters, And: impersonateUser,
			Text: "impersonate the group system:masters together with a user, which passes every authorization check: cluster-admin"},
		{If: impersonateMasters, Unless: impersonateUser,
			Text: "the group system:masters is covered, but impersonating a group also takes impersonating a user, which this role does not allow"},
	},
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/impersonate",
			Title:    "Role can impersonate other identities",
			Severity: finding.Critical,
			Description: `A Role or ClusterRole rule allows impersonate on users, groups or serviceaccounts (core
group) or on uids or userextras (authentication.k8s.io). With Impersonate-User and
Impersonate-Group headers the holder acts as any identity the rule covers, with its
permissions: impersonating the group system:masters passes every authorization check.
CIS Kubernetes Benchmark 5.1.8 (limit use of the bind, impersonate and escalate
permissions); Kubernetes docs, RBAC good practices (impersonate verb).
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Remove the impersonate verb, or limit it with resourceNames to identities with less access than the subjects already have.",
			Frameworks:  finding.Frameworks{CIS: "5.1.8", NSA: "authentication-authorization", MITRE: "T1078"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(Impersonate),
		CEL:    roleCEL(Impersonate),
	})
}

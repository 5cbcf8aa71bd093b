// Rule rbac/create-serviceaccount-token: a Role or ClusterRole rule must not allow
// create on serviceaccounts/token: it issues a token for any service account in its
// scope, and so all of their permissions.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// CreateServiceAccountToken is requesting tokens for service accounts (TokenRequest).
var CreateServiceAccountToken = Primitive{
	Asks:  asks("", []string{"create"}, "serviceaccounts/token"),
	Named: true,
	Clauses: []Clause{
		{If: asks("", []string{"create"}, "serviceaccounts/token"), Text: "issue tokens for every service account in scope and act with their permissions"},
		{If: named(AnyName, asks("", []string{"create"}, "serviceaccounts/token")), Unless: asks("", []string{"create"}, "serviceaccounts/token"),
			Text: "issue tokens for the service accounts the rule names and act with their permissions"},
	},
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/create-serviceaccount-token",
			Title:    "Role can issue service account tokens",
			Severity: finding.High,
			Description: `A Role or ClusterRole rule allows create on serviceaccounts/token, the TokenRequest API.
The holder obtains a token of any service account the rule covers (every one in the
namespace, or in the cluster through a ClusterRoleBinding) and acts with its
permissions, for as long as the token lives. CIS Kubernetes Benchmark 5.1.13 (minimize
access to the service account token creation); Kubernetes docs, RBAC good practices.
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Remove create on serviceaccounts/token, or limit it with resourceNames to the service accounts the subject must act as.",
			Frameworks:  finding.Frameworks{CIS: "5.1.13", NSA: "authentication-authorization", MITRE: "T1528"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(CreateServiceAccountToken),
		CEL:    roleCEL(CreateServiceAccountToken),
	})
}

// Rule rbac/create-secrets: a Role or ClusterRole rule that allows create on secrets is
// reported: a Secret of type kubernetes.io/service-account-token annotated with a
// service account's name is filled with a long-lived token of that account by the token
// controller.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// CreateSecrets is creating Secrets, service-account-token Secrets included.
var CreateSecrets = Primitive{
	Asks:        asks("", []string{"create"}, "secrets"),
	Consequence: "create a kubernetes.io/service-account-token Secret for any service account in scope, which the token controller fills with a long-lived token of that account",
	Clauses: []Clause{
		{If: asks("", readVerbs, "secrets"), Text: "read that token back, as the role also allows reading Secrets, and act as the service account"},
		{If: named(AnyName, getSecrets), Unless: asks("", readVerbs, "secrets"), Text: "this role lets them read the token back only if they give the Secret a name that the resourceNames of its get on secrets list"},
		{Unless: named(AnyName, asks("", readVerbs, "secrets")), Text: "this role does not let them read the token back (that takes get on the Secret, or a pod that mounts it)"},
	},
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/create-secrets",
			Title:    "Role can create Secrets (service account tokens)",
			Severity: finding.Medium,
			Description: `A Role or ClusterRole rule allows create on secrets. A Secret of type
kubernetes.io/service-account-token with the annotation kubernetes.io/service-
account.name is filled by the token controller with a token that never expires, so the
holder who can also read it acts as any service account of the namespace. Kubernetes
docs, RBAC good practices and service account docs (legacy service account token
Secrets); CIS Kubernetes Benchmark 5.1.13 (minimize access to service account token
creation), of which this is the older way.
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Remove create on secrets from roles of people and workloads that do not manage credentials; let an external secrets operator or the deployment pipeline create them.",
			Frameworks:  finding.Frameworks{CIS: "5.1.13", NSA: "authentication-authorization", MITRE: "T1528"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(CreateSecrets),
		CEL:    roleCEL(CreateSecrets),
	})
}

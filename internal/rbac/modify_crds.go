// Rule rbac/modify-crds: a ClusterRole rule that allows create, update or patch on
// customresourcedefinitions is reported: CRDs change the API itself (conversion webhooks
// receive every object of the type, and a CRD can shadow resources other controllers
// trust).
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// ModifyCRDs is creating or changing CustomResourceDefinitions.
var ModifyCRDs = Primitive{
	Asks: asks("apiextensions.k8s.io", []string{"create", "update", "patch"}, "customresourcedefinitions"),
	Clauses: []Clause{
		{If: asks("apiextensions.k8s.io", changeVerbs, "customresourcedefinitions"),
			Text: "change existing CustomResourceDefinitions: point a conversion webhook at a server of their own, which then receives every object of the type, or change the schema the controllers rely on"},
		{If: asks("apiextensions.k8s.io", []string{"create"}, "customresourcedefinitions"),
			Text: "define new API types, with schemas and conversion webhooks of their choosing"},
	},
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/modify-crds",
			Title:    "Role can create or change CustomResourceDefinitions",
			Severity: finding.Medium,
			Description: `A Role or ClusterRole rule allows create, update or patch on customresourcedefinitions.
CRDs are cluster-wide API definitions: a conversion webhook set on one receives every
object of that type, and a changed schema or a new version can mislead the controllers
and admission policies that rely on it. Kubernetes docs, RBAC good practices; Kubescape
practice (CRD write access).
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Let only cluster administrators and the installer of each operator manage CustomResourceDefinitions.",
			Frameworks:  finding.Frameworks{NSA: "authentication-authorization", MITRE: "T1562"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(ModifyCRDs),
		CEL:    roleCEL(ModifyCRDs),
	})
}

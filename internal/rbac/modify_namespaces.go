// Rule rbac/modify-namespaces: a ClusterRole rule that allows update or patch on
// namespaces is reported: the holder rewrites the pod-security.kubernetes.io labels and
// so turns off Pod Security admission for a namespace.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// ModifyNamespaces is changing Namespace objects (their Pod Security labels).
var ModifyNamespaces = Primitive{
	Asks:        asks("", changeVerbs, "namespaces"),
	Consequence: "relabel namespaces and so lower their Pod Security level (pod-security.kubernetes.io/enforce), after which privileged pods are admitted there",
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/modify-namespaces",
			Title:    "Role can change namespaces (Pod Security labels)",
			Severity: finding.High,
			Description: `A Role or ClusterRole rule allows update or patch on namespaces. Pod Security admission
reads its level from the namespace's pod-security.kubernetes.io labels, so the holder
can set enforce to privileged and then run privileged pods that escape to the node.
Kubernetes docs, RBAC good practices (namespace modification) and Pod Security admission
docs.
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Grant update and patch on namespaces only to cluster administrators, and guard the pod-security labels with a ValidatingAdmissionPolicy.",
			Frameworks:  finding.Frameworks{NSA: "pod-security", MITRE: "T1562.001"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(ModifyNamespaces),
		CEL:    roleCEL(ModifyNamespaces),
	})
}

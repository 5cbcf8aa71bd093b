// Rule rbac/modify-nodes: a ClusterRole rule that allows update or patch on nodes or
// nodes/status is reported: labels and taints steer pods (other tenants' included) onto
// a node the holder controls, and status changes make nodes look ready or not.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// ModifyNodes is changing Node objects and their status.
var ModifyNodes = Primitive{
	Asks: asks("", changeVerbs, "nodes", "nodes/status"),
	Clauses: []Clause{
		{If: asks("", changeVerbs, "nodes"), Text: "relabel and taint nodes, steering pods (with their service accounts and Secrets) onto nodes of their choice or evicting them"},
		{If: asks("", changeVerbs, "nodes/status"), Text: "change node status, so that the scheduler takes nodes for ready or not"},
	},
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/modify-nodes",
			Title:    "Role can change nodes or their status",
			Severity: finding.Medium,
			Description: `A Role or ClusterRole rule allows update or patch on nodes or nodes/status. Changing
labels and taints moves pods, with their service accounts and Secrets, onto a node the
holder controls (or evicts them); changing status makes the scheduler treat nodes as
ready or not. Palo Alto Networks Unit 42 research on Kubernetes privilege escalation
(node manipulation); Kubernetes docs, RBAC good practices.
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Grant update and patch on nodes only to the kubelets (Node authorizer) and node-management controllers.",
			Frameworks:  finding.Frameworks{NSA: "authentication-authorization", MITRE: "T1610"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(ModifyNodes),
		CEL:    roleCEL(ModifyNodes),
	})
}

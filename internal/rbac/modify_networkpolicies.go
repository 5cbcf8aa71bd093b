// Rule rbac/modify-networkpolicies: a Role or ClusterRole rule that allows update,
// patch, delete or deletecollection on networkpolicies is reported: the holder removes
// the network isolation of the namespace.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// ModifyNetworkPolicies is deleting or changing NetworkPolicies.
var ModifyNetworkPolicies = Primitive{
	Asks:        asks("networking.k8s.io", []string{"update", "patch", "delete", "deletecollection"}, "networkpolicies"),
	Consequence: "change or delete NetworkPolicies and so lift the isolation of what they protect",
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/modify-networkpolicies",
			Title:    "Role can delete or change NetworkPolicies",
			Severity: finding.Medium,
			Description: `A Role or ClusterRole rule allows update, patch, delete or deletecollection on
networkpolicies. Whoever holds it lifts the isolation that keeps other pods from
reaching databases and internal APIs, and opens egress for exfiltration. NSA/CISA
Kubernetes Hardening Guide, network separation; Kubescape practice (NetworkPolicy write
access).
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Manage NetworkPolicies from the deployment pipeline or GitOps, and grant people read access only.",
			Frameworks:  finding.Frameworks{NSA: "network-separation", MITRE: "T1562"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(ModifyNetworkPolicies),
		CEL:    roleCEL(ModifyNetworkPolicies),
	})
}

// Rule netpol/workload-not-isolated-ingress: in a namespace that has NetworkPolicies, a
// workload that no policy selects for ingress accepts connections from every pod of the
// cluster and from outside on every port. Usually its labels do not match the policy a
// team meant for it, or a default deny is missing.
//
// Decisions: namespaces without any NetworkPolicy are left to
// netpol/namespace-without-policy (one finding per namespace, not one per workload);
// namespaces with Calico or Cilium policies are skipped, since Moat does not evaluate them.
package netpol

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "netpol/workload-not-isolated-ingress",
			Title:    "Workload is not isolated for ingress",
			Severity: finding.Medium,
			Description: `The workload's namespace has NetworkPolicies, but none selects the workload's pods
with policy type Ingress. A pod that no ingress policy selects accepts every connection:
from every pod of every namespace and from outside the cluster, on every port. This is
most often a label mismatch between the policy's podSelector and the pod template, or a
missing default-deny policy. CIS Kubernetes Benchmark 5.3.2; NSA/CISA Kubernetes Hardening
Guide, network separation; MITRE ATT&CK T1046 (network service discovery) and lateral
movement. Namespaces without any policy are reported by netpol/namespace-without-policy.`,
			Remediation: "Add a default-deny ingress policy to the namespace (podSelector: {} with policyTypes [Ingress]) or a policy whose podSelector matches the workload's pod labels, allowing only its clients.",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1046"},
			Kinds:       []string{"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"},
		},
		Inventory: checkWorkloadNotIsolatedIngress,
	})
}

func checkWorkloadNotIsolatedIngress(c *rule.Context) []rule.Result {
	v := newView(c)
	var out []rule.Result
	for _, w := range v.m.Workloads {
		if !v.judged(w) {
			continue
		}
		if in, _ := v.a.Isolated(w); in {
			continue
		}
		var names []string
		for _, p := range v.m.Policies {
			if p.Namespace == w.Namespace {
				names = append(names, p.Name)
			}
		}
		out = append(out, result(w, fmt.Sprintf("%s (pod labels %s) is selected by no NetworkPolicy of type Ingress in namespace %q (policies: %s): every pod of the cluster may connect to it on every port",
			workloadName(w), labelsText(w.Labels), w.Namespace, strings.Join(names, ", "))))
	}
	return out
}

func labelsText(l map[string]string) string {
	if len(l) == 0 {
		return "none"
	}
	return labels.Set(l).String()
}

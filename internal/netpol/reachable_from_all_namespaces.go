// Rule netpol/reachable-from-all-namespaces: a workload isolated for ingress whose
// policies nevertheless let any pod of any namespace connect: a rule with
// namespaceSelector: {} and no podSelector, or a rule with no from at all.
//
// Decisions: Moat asks whether a pod with no labels, in a namespace that is not in the
// inventory, may connect: only a rule open to every pod of every namespace lets it.
// Workloads that no policy isolates are reported by netpol/workload-not-isolated-ingress
// and netpol/namespace-without-policy instead.
package netpol

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "netpol/reachable-from-all-namespaces",
			Title:    "Workload is reachable from every namespace",
			Severity: finding.Medium,
			Description: `The workload is isolated for ingress, but one of its ingress rules allows every pod of
every namespace (namespaceSelector: {} without a podSelector, or no from at all). Any
compromised pod anywhere in the cluster can reach it, which defeats the namespace as a
security boundary. NSA/CISA Kubernetes Hardening Guide, network separation; CIS Kubernetes
Benchmark 5.3.2; MITRE ATT&CK T1210 (exploitation of remote services) for lateral movement.`,
			Remediation: "Replace the open rule by peers that name the client namespaces (namespaceSelector on kubernetes.io/metadata.name) and client pods (podSelector).",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1210"},
			Kinds:       []string{"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"},
		},
		Inventory: checkReachableFromAllNamespaces,
	})
}

func checkReachableFromAllNamespaces(c *rule.Context) []rule.Result {
	v := newView(c)
	probe := v.a.Probe()
	var out []rule.Result
	for _, w := range v.m.Workloads {
		if !v.judged(w) {
			continue
		}
		if in, _ := v.a.Isolated(w); !in {
			continue
		}
		ci := v.a.Workload(w)
		ps := v.a.Ports(probe, ci)
		if ps.IsEmpty() {
			continue
		}
		out = append(out, result(w, fmt.Sprintf("any pod of any namespace may connect to %s on %s (%s)",
			workloadName(w), portsWords(ps), which(v.a.Allowing(ci, probe, false, ps), "ingress"))))
	}
	return out
}

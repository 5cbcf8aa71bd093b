// Rule netpol/egress-to-metadata: a workload whose egress allows the cloud instance
// metadata endpoint, 169.254.169.254, in a namespace that has NetworkPolicies. From a
// pod, the metadata service hands out the node's cloud credentials unless it is blocked
// elsewhere (IMDSv2 hop limit, GKE metadata concealment).
//
// Decisions: any port counts (the services listen on 80, some proxies elsewhere).
// Namespaces without policies are left to netpol/namespace-without-policy; Calico and
// Cilium namespaces are skipped.
package netpol

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "netpol/egress-to-metadata",
			Title:    "Workload may reach the cloud metadata endpoint",
			Severity: finding.High,
			Description: `The NetworkPolicies allow the workload to connect to 169.254.169.254, the instance
metadata service of AWS, GCP, Azure and OpenStack. From a pod it serves the node's
instance credentials and bootstrap data, which often allow reading other workloads'
secrets or moving into the cloud account. Egress rules to 0.0.0.0/0 without an except
for 169.254.169.254/32 are the usual cause. MITRE ATT&CK T1552.005 (cloud instance
metadata API); NSA/CISA Kubernetes Hardening Guide, network separation; CIS Kubernetes
Benchmark 5.3.2; Kubescape C-0052 and kube-hunter practice.`,
			Remediation: "Add 169.254.169.254/32 (and 169.254.0.0/16 if nothing else needs it) to the except list of every ipBlock that contains it, or isolate the workload for egress and allow only what it needs.",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1552.005"},
			Kinds:       []string{"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"},
		},
		Inventory: checkEgressToMetadata,
	})
}

func checkEgressToMetadata(c *rule.Context) []rule.Result {
	v := newView(c)
	dst := -1
	for i := v.a.NumClasses(); i < v.a.NumEndpoints(); i++ {
		if v.a.Outside(i).Contains(metadataAddr) {
			dst = i
		}
	}
	if dst < 0 {
		return nil
	}
	var out []rule.Result
	for _, w := range v.m.Workloads {
		if !v.judged(w) {
			continue
		}
		ci := v.a.Workload(w)
		ps := v.a.Ports(ci, dst)
		if ps.IsEmpty() {
			continue
		}
		fix := "except 169.254.169.254/32 from the ipBlocks of these rules"
		if _, eg := v.a.Isolated(w); !eg {
			fix = "isolate it for egress (a default deny) and allow only what it needs"
		}
		out = append(out, result(w, fmt.Sprintf("%s may connect to the cloud metadata endpoint %s on %s (%s): %s",
			workloadName(w), metadataAddr, portsWords(ps), which(v.a.Allowing(ci, dst, true, ps), "egress"), fix)))
	}
	return out
}

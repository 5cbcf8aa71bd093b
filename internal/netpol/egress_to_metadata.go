// Rule netpol/egress-to-metadata: a workload whose egress allows the cloud instance
// metadata endpoint, 169.254.169.254. From a pod, the metadata service hands out the
// node's cloud credentials unless it is blocked elsewhere (IMDSv2 hop limit, GKE
// metadata concealment).
//
// Decisions:
//   - Any port counts (the services listen on 80, some proxies elsewhere).
//   - Workloads that no policy isolates for egress are reported once per namespace, on
//     the Namespace, at medium: the cause is the missing egress isolation (also
//     reported by netpol/namespace-without-default-deny), and whether the endpoint
//     hands out credentials depends on the node, which Moat does not see. A policy
//     whose rule allows the endpoint is reported on that policy, at high: it is a
//     specific, fixable hole (an ipBlock without the except). Both ways adding a
//     policy never adds or raises a finding about anything but that policy (see view.go).
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
			Description: `Workloads may connect to 169.254.169.254, the instance metadata service of AWS, GCP,
Azure and OpenStack. From a pod it serves the node's instance credentials and bootstrap
data, which often allow reading other workloads' secrets or moving into the cloud account.
A policy rule that allows it (an egress rule to 0.0.0.0/0 without an except for
169.254.169.254/32 is the usual cause) is reported on the policy, at high; workloads that
no policy isolates for egress are reported once per namespace, at medium, since whether
the endpoint answers them depends on the node (IMDSv2 hop limit, metadata concealment).
MITRE ATT&CK T1552.005 (cloud instance metadata API); NSA/CISA Kubernetes Hardening
Guide, network separation; CIS Kubernetes Benchmark 5.3.2; Kubescape C-0052.`,
			Remediation: "Add 169.254.169.254/32 (and 169.254.0.0/16 if nothing else needs it) to the except list of every ipBlock that contains it, or isolate the workload for egress and allow only what it needs.",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1552.005"},
			Kinds:       []string{"Namespace", "NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"},
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
	open, cs := v.egressTo(c, []int{dst})
	out := open.results(v, severity(finding.Medium), func(ns string, es nsEntryList) string {
		on := "on every port"
		if !es.allPorts() {
			on = "on the ports shown"
		}
		return fmt.Sprintf("namespace %q: no policy isolates %s for egress: %s may connect to the cloud metadata endpoint %s %s; isolate %s for egress (a default deny) and allow only what %s%s",
			ns, es.describe(false), es.they(), metadataAddr, on, es.them(), es.needs(), v.notEvaluated(v.applying(es.workloads(), false), ns))
	})
	return append(out, cs.results(v, nil, func(cu *culprit) string {
		return fmt.Sprintf("rule %s allows %s to connect to the cloud metadata endpoint %s on %s: except 169.254.169.254/32 from its address ranges",
			cu.rules(), cu.workloads(), metadataAddr, portsWords(cu.ports))
	})...)
}

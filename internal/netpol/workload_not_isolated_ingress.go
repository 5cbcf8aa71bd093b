// Rule netpol/workload-not-isolated-ingress: workloads that no policy isolates for
// ingress accept connections from every pod of the cluster and from outside, on every
// port. Usually their labels do not match the policy a team meant for them, or a
// default deny is missing.
//
// Decisions:
//   - One finding per namespace, on the Namespace, listing the workloads with their pod
//     labels: whether or not the namespace has policies, so that adding a policy only
//     shortens the list (monotonicity, see view.go), and so that a namespace of fifty
//     unprotected workloads is one finding, not fifty.
//   - "Isolated" is what the engine decides: a NetworkPolicy, Cilium or Calico policy
//     that selects the workload for ingress, or an admin policy that decides its
//     traffic. A policy kind Moat does not evaluate isolates nothing; the finding
//     names what it left out.
package netpol

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "netpol/workload-not-isolated-ingress",
			Title:    "Workload is not isolated for ingress",
			Severity: finding.Medium,
			Description: `No policy (NetworkPolicy, Cilium or Calico policy, admin policy) selects these workloads
for ingress. A pod that no ingress policy selects accepts every connection: from every pod
of every namespace and from outside the cluster, on every port. This is most often a label
mismatch between a policy's podSelector and the pod template, or a missing default-deny
policy. Reported once per namespace, listing the workloads and their pod labels. CIS
Kubernetes Benchmark 5.3.2; NSA/CISA Kubernetes Hardening Guide, network separation;
MITRE ATT&CK T1046 (network service discovery) and lateral movement.`,
			Remediation: "Add a default-deny ingress policy to the namespace (podSelector: {} with policyTypes [Ingress]) or a policy whose podSelector matches the workloads' pod labels, allowing only their clients.",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1046"},
			Kinds:       []string{"Namespace"},
		},
		Inventory: checkWorkloadNotIsolatedIngress,
	})
}

func checkWorkloadNotIsolatedIngress(c *rule.Context) []rule.Result {
	v := newView(c)
	probe := v.a.Probe()
	open := byNamespace{}
	covers := v.covers([]int{probe}, false)
	for _, w := range v.m.Workloads {
		ci := v.a.Workload(w)
		cv := covers.of(ci)
		if !cv.def.IsEmpty() {
			open.add(w, cv.def)
		}
	}
	return open.results(v, nil, func(ns string, es nsEntryList) string {
		var names []string
		for _, p := range v.policiesIn(ns) {
			names = append(names, p.Name)
		}
		pols := "the namespace has no policy"
		if len(names) > 0 {
			pols = "its policies: " + listOf(names)
		}
		on := "on every port"
		if !es.allPorts() {
			on = "on the ports shown"
		}
		return fmt.Sprintf("namespace %q: no policy isolates %s for ingress (%s): every pod of the cluster may connect to %s %s%s",
			ns, es.describe(true), pols, es.them(), on, v.notEvaluated(v.applying(es.workloads(), true), ns))
	})
}

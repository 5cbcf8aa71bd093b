// Rule netpol/reachable-from-all-namespaces: a policy rule that lets any pod of any
// namespace connect to the workloads the policy protects: a rule with
// namespaceSelector: {} and no podSelector, a rule with no from at all, Cilium's
// fromEntities cluster or all, a Calico rule with no source.
//
// Decisions: Moat asks whether a pod with no labels, in a namespace that is not in the
// inventory, may connect; only a rule open to every pod of every namespace lets it.
// The finding is about the policy, at the rule, naming the workloads: adding a policy
// then never adds a finding about anything else (see view.go). Workloads that no
// policy isolates are reported by netpol/workload-not-isolated-ingress instead.
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
			Description: `A policy isolates workloads for ingress, but one of its ingress rules allows every pod of
every namespace (namespaceSelector: {} without a podSelector, no from at all, Cilium's
fromEntities cluster, a Calico rule without a source). Any compromised pod anywhere in
the cluster can reach them, which defeats the namespace as a security boundary. Reported
on the policy, at the rule. NSA/CISA Kubernetes Hardening Guide, network separation; CIS
Kubernetes Benchmark 5.3.2; MITRE ATT&CK T1210 (exploitation of remote services) for
lateral movement.`,
			Remediation: "Replace the open rule by peers that name the client namespaces (namespaceSelector on kubernetes.io/metadata.name) and client pods (podSelector).",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1210"},
			Kinds:       []string{"NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"},
		},
		Inventory: checkReachableFromAllNamespaces,
	})
}

func checkReachableFromAllNamespaces(c *rule.Context) []rule.Result {
	v := newView(c)
	probe := v.a.Probe()
	var cs culprits
	covers := v.covers([]int{probe}, false)
	for _, w := range v.m.Workloads {
		ci := v.a.Workload(w)
		cv := covers.of(ci)
		for _, o := range cv.owners {
			cu := cs.get(o.g)
			for _, f := range o.fields {
				cu.addField(f)
			}
			cu.addWorkload(w, o.ports)
		}
	}
	return cs.results(v, nil, func(cu *culprit) string {
		return fmt.Sprintf("rule %s lets any pod of any namespace connect to %s on %s: name the client namespaces and pods instead",
			cu.rules(), cu.workloads(), portsWords(cu.ports))
	})
}

// Rule netpol/unrestricted-egress: a workload whose egress allows every public IPv4
// address (the whole internet), on some port. Such a pod can exfiltrate data and fetch
// tools from anywhere; egress to the internet should go to named ranges or through a
// proxy.
//
// Decisions:
//   - "Every public address" is every address outside the private, shared, loopback,
//     link-local, multicast and reserved ranges; a rule to 0.0.0.0/0 that excepts the
//     private ranges still counts.
//   - Where the exposure comes from decides what the finding is about, so that adding a
//     policy never adds a finding about anything else (monotonicity, see view.go):
//     workloads that no policy isolates for egress are reported once per namespace, on
//     the Namespace, whether or not the namespace has other policies; a policy whose
//     rules allow the whole internet is reported on that policy, at its rule, naming
//     the workloads it selects.
//   - A workload reaches the internet only through the union of several policies (one
//     allows 0.0.0.0/1, another 128.0.0.0/1) is not reported: no one policy is the cause.
//   - Cilium and Calico policies count as Moat evaluates them (package reach); what it
//     does not evaluate (FQDN rules, L7 rules...) is named in the finding.
package netpol

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "netpol/unrestricted-egress",
			Title:    "Workload may connect to the whole internet",
			Severity: finding.Medium,
			Description: `Workloads may open connections to every public IPv4 address: no policy isolates them for
egress (reported once per namespace, on the Namespace), or a policy's egress rule allows
0.0.0.0/0 or every peer (reported on that policy, at the rule). A compromised pod can then
exfiltrate data and download tooling from any host. NSA/CISA Kubernetes Hardening Guide,
network separation (restrict egress); CIS Kubernetes Benchmark 5.3.2; MITRE ATT&CK T1041
(exfiltration over C2 channel) and T1105 (ingress tool transfer).`,
			Remediation: "Isolate the workloads for egress and allow only the address ranges and ports they need (ipBlock with the provider's CIDRs), or send their outbound traffic through an egress proxy.",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1041"},
			Kinds:       []string{"Namespace", "NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"},
		},
		Inventory: checkUnrestrictedEgress,
	})
}

func checkUnrestrictedEgress(c *rule.Context) []rule.Result {
	v := newView(c)
	var public []int
	for i := v.a.NumClasses(); i < v.a.NumEndpoints(); i++ {
		if isPublic(v.a.Outside(i)) {
			public = append(public, i)
		}
	}
	if len(public) == 0 {
		return nil
	}
	open, cs := v.egressTo(c, public)
	out := open.results(v, nil, func(ns string, es nsEntryList) string {
		on := "on every port"
		if !es.allPorts() {
			on = "on the ports shown"
		}
		return fmt.Sprintf("namespace %q: no policy isolates %s for egress: %s may connect to every public internet address %s; isolate %s for egress (a default deny) and allow only the address ranges %s%s",
			ns, es.describe(false), es.they(), on, es.them(), es.needs(), v.notEvaluated(v.applying(es.workloads(), false), ns))
	})
	return append(out, cs.results(v, nil, func(cu *culprit) string {
		return fmt.Sprintf("rule %s allows %s to connect to every public internet address on %s: narrow it to the address ranges %s",
			cu.rules(), cu.workloads(), portsWords(cu.ports), cu.needs())
	})...)
}

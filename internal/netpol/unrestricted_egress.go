// Rule netpol/unrestricted-egress: a workload whose egress allows every public IPv4
// address (the whole internet), on some port, in a namespace that has NetworkPolicies.
// Such a pod can exfiltrate data and fetch tools from anywhere; egress to the internet
// should go to named ranges or through a proxy.
//
// Decisions: "every public address" is every address outside the private, shared,
// loopback, link-local, multicast and reserved ranges; a rule to 0.0.0.0/0 that excepts
// the private ranges still counts. Namespaces without policies are left to
// netpol/namespace-without-policy; Calico and Cilium namespaces are skipped.
package netpol

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "netpol/unrestricted-egress",
			Title:    "Workload may connect to the whole internet",
			Severity: finding.Medium,
			Description: `The NetworkPolicies allow the workload to open connections to every public IPv4
address: it is not isolated for egress, or an egress rule allows 0.0.0.0/0 (or no peer at
all). A compromised pod can then exfiltrate data and download tooling from any host. NSA/CISA
Kubernetes Hardening Guide, network separation (restrict egress); CIS Kubernetes Benchmark
5.3.2; MITRE ATT&CK T1041 (exfiltration over C2 channel) and T1105 (ingress tool transfer).`,
			Remediation: "Isolate the workload for egress and allow only the address ranges and ports it needs (ipBlock with the provider's CIDRs), or send its outbound traffic through an egress proxy.",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1041"},
			Kinds:       []string{"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"},
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
	var out []rule.Result
	for _, w := range v.m.Workloads {
		if !v.judged(w) {
			continue
		}
		ci := v.a.Workload(w)
		var ports reach.PortSet
		all := true
		for i, d := range public {
			ps := v.a.Ports(ci, d)
			if ps.IsEmpty() {
				all = false
				break
			}
			if i == 0 {
				ports = ps
			} else {
				ports = ports.Intersect(ps)
			}
		}
		if !all || len(public) == 0 {
			continue
		}
		by := which(v.a.Allowing(ci, public[0], true, ports), "egress")
		fix := "narrow these rules to the address ranges it needs"
		if _, eg := v.a.Isolated(w); !eg {
			fix = "isolate it for egress (a default deny) and allow only the address ranges it needs"
		}
		out = append(out, result(w, fmt.Sprintf("%s may connect to every public internet address on %s (%s): %s",
			workloadName(w), portsWords(ports), by, fix)))
	}
	return out
}

func portsWords(p reach.PortSet) string {
	if p.IsAll() {
		return "every port"
	}
	if p.IsEmpty() {
		return "some ports"
	}
	return p.String()
}

// Rule netpol/namespace-without-default-deny: a namespace that has NetworkPolicies must
// also have a default deny for ingress and for egress: a policy that selects every pod
// (podSelector: {}) with that policy type and no rule that allows everything. Without
// it, every new workload, and every workload whose labels drift from its policy, is open.
//
// Decisions: namespaces without any policy are reported by netpol/namespace-without-policy
// instead; namespaces with Calico or Cilium policies are skipped (those may hold the
// default deny). A policy with podSelector: {} that has allow rules still isolates every
// pod and counts, unless one of its rules allows every peer on every port.
package netpol

import (
	"fmt"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "netpol/namespace-without-default-deny",
			Title:    "Namespace has no default-deny NetworkPolicy",
			Severity: finding.Medium,
			Description: `The namespace has NetworkPolicies, but no default deny for ingress, for egress, or
both: no policy selects every pod of the namespace (podSelector: {}) with that policy type.
Pods that no policy selects allow all traffic in that direction, so a new workload, or one
whose labels no longer match its policy, is silently open; without egress default deny any
compromised pod may connect anywhere, the cloud metadata endpoint and the internet
included. NSA/CISA Kubernetes Hardening Guide, network separation ("use default deny
policies"); CIS Kubernetes Benchmark 5.3.2; MITRE ATT&CK T1046.`,
			Remediation: "Add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress] and no rules to the namespace, then allow each needed flow (and DNS egress) with specific policies.",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1046"},
			Kinds:       []string{"Namespace", "NetworkPolicy"},
		},
		Inventory: checkNamespaceWithoutDefaultDeny,
	})
}

func checkNamespaceWithoutDefaultDeny(c *rule.Context) []rule.Result {
	v := newView(c)
	byNS := map[string][]*reach.Policy{}
	for _, p := range v.m.Policies {
		byNS[p.Namespace] = append(byNS[p.Namespace], p)
	}
	workloads := map[string][]*reach.Workload{}
	for _, w := range v.m.Workloads {
		workloads[w.Namespace] = append(workloads[w.Namespace], w)
	}
	var out []rule.Result
	for _, ns := range c.Inventory.Namespaces() {
		ps := byNS[ns]
		if len(ps) == 0 || v.foreign[ns] || len(workloads[ns]) == 0 {
			continue
		}
		in, eg := false, false
		for _, p := range ps {
			if !p.Selector.Empty() {
				continue
			}
			in = in || p.Ingress && !opensAll(p.IngressRules)
			eg = eg || p.Egress && !opensAll(p.EgressRules)
		}
		var missing []string
		if !in {
			missing = append(missing, "ingress")
		}
		if !eg {
			missing = append(missing, "egress")
		}
		if len(missing) == 0 {
			continue
		}
		obj := namespaceObject(c.Inventory, ns, ps[0].Obj)
		out = append(out, rule.Result{
			Object: obj,
			Message: fmt.Sprintf("namespace %q has NetworkPolicies but no default deny for %s: no policy with podSelector: {} isolates every pod for it, so pods no policy selects allow all %s",
				ns, strings.Join(missing, " and "), strings.Join(missing, " and ")),
		})
	}
	return out
}

// opensAll reports a rule that allows every peer on every port.
func opensAll(rules []*reach.Rule) bool {
	for _, r := range rules {
		if r.AnyPeer && r.Ports == nil {
			return true
		}
	}
	return false
}

// Rule netpol/namespace-without-default-deny: a namespace that runs workloads must have
// a default deny for ingress and for egress: a policy that selects every pod of the
// namespace (podSelector: {}, Cilium's endpointSelector: {}, Calico's all()) with that
// policy type and no rule that allows everything. Without it, every new workload, and
// every workload whose labels drift from its policy, is open.
//
// Decisions:
//   - A namespace with no policy at all has no default deny either, and is reported
//     too (as well as by netpol/namespace-without-policy, on the same Namespace): were
//     it not, adding its first policy would add this finding, and the rules must be
//     monotone (see view.go).
//   - A policy with podSelector: {} that has allow rules still isolates every pod and
//     counts, unless one of its rules allows every peer on every port. Cluster-wide
//     Cilium and Calico policies that select every pod of the namespace count; admin
//     policies do not (they deny explicitly, they do not isolate).
//   - Only policies Moat evaluates count; the finding names the ones it left out.
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
			Description: `The namespace runs workloads and has no default deny for ingress, for egress, or both:
no policy selects every pod of the namespace (podSelector: {}, or the Cilium and Calico
equivalents) with that policy type; a namespace with no policy at all is reported too.
Pods that no policy selects allow all traffic in that direction, so a new workload, or one
whose labels no longer match its policy, is silently open; without egress default deny any
compromised pod may connect anywhere, the cloud metadata endpoint and the internet
included. NSA/CISA Kubernetes Hardening Guide, network separation ("use default deny
policies"); CIS Kubernetes Benchmark 5.3.2; MITRE ATT&CK T1046.`,
			Remediation: "Add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress] and no rules to the namespace, then allow each needed flow (and DNS egress) with specific policies.",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1046"},
			Kinds:       []string{"Namespace"},
		},
		Inventory: checkNamespaceWithoutDefaultDeny,
	})
}

func checkNamespaceWithoutDefaultDeny(c *rule.Context) []rule.Result {
	v := newView(c)
	var out []rule.Result
	for _, ns := range v.namespaces() {
		nsLabels := v.m.Namespaces[ns]
		in, eg := false, false
		deny := func(p *reach.Policy) {
			if p.SelectsAllOf(ns, nsLabels) {
				in = in || p.IsolatesIngress() && !opensAll(p.IngressRules)
				eg = eg || p.IsolatesEgress() && !opensAll(p.EgressRules)
			}
		}
		// A policy selects all of a namespace by its own test (AllPodsOf: those of
		// Cilium and Calico), or is a NetworkPolicy of that namespace.
		for _, p := range v.policiesIn(ns) {
			if p.AllPodsOf == nil {
				deny(p)
			}
		}
		for _, p := range v.allPodsOf {
			deny(p)
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
		dirs := strings.Join(missing, " and ")
		msg := fmt.Sprintf("namespace %q has policies but no default deny for %s: no policy with podSelector: {} isolates every pod for it, so pods no policy selects allow all %s",
			ns, dirs, dirs)
		if len(v.policiesIn(ns)) == 0 {
			msg = fmt.Sprintf("namespace %q has no policy, so no default deny for %s: every pod allows all %s", ns, dirs, dirs)
		}
		out = append(out, rule.Result{
			Object:  v.namespaceObject(ns, v.byNS[ns][0].Obj),
			Message: msg + v.notEvaluated(nil, ns),
		})
	}
	return out
}

// opensAll reports a rule that allows (or passes on) every peer on every port.
func opensAll(rules []*reach.Rule) bool {
	for _, r := range rules {
		if (r.Action == "" || r.Action == reach.Allow || r.Action == reach.Pass) && r.AnyPeer && r.Ports == nil && len(r.NotPorts) == 0 && r.Self == nil {
			return true
		}
	}
	return false
}

// Rule netpol/policy-selects-nothing: a NetworkPolicy whose podSelector matches no
// workload of its namespace protects nothing: usually a typo in a label, or a policy
// left behind by a renamed workload, while the workload it was meant for stays open.
//
// Decisions: only namespaces that have workloads in the inventory are checked (a
// repository of policies alone says nothing about the pods they select). Namespaced
// Cilium and Calico policies are checked by their endpointSelector and selector;
// cluster-wide policies are not (their pods may live in namespaces the inputs lack).
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
			ID:       "netpol/policy-selects-nothing",
			Title:    "NetworkPolicy selects no workload",
			Severity: finding.Low,
			Description: `The NetworkPolicy's podSelector matches no workload of its namespace. The policy has no
effect, and the workload it was written for (a label typo, a renamed app) is not
protected by it. kube-linter and Kubescape practice; CIS Kubernetes Benchmark 5.3.2;
NSA/CISA Kubernetes Hardening Guide, network separation.`,
			Remediation: "Fix the podSelector so that it matches the pod labels of the workload the policy is meant for, or delete the policy.",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation"},
			Kinds:       []string{"NetworkPolicy", "CiliumNetworkPolicy"},
		},
		Inventory: checkPolicySelectsNothing,
	})
}

func checkPolicySelectsNothing(c *rule.Context) []rule.Result {
	v := newView(c)
	has := map[string]int{}
	for _, w := range v.m.Workloads {
		has[w.Namespace]++
	}
	var out []rule.Result
	for _, p := range v.m.Policies {
		if p.Namespace == "" || has[p.Namespace] == 0 || p.Obj == nil || v.a.Selects(p) {
			continue
		}
		path, field, text := "spec.podSelector", "podSelector", p.Selector.String()
		if p.Flavor != reach.Kubernetes {
			path, text = p.SubjectPath, p.SubjectText
			field = path[strings.LastIndexByte(path, '.')+1:]
		}
		out = append(out, rule.Result{
			Object: p.Obj,
			Path:   path,
			Message: fmt.Sprintf("%s %q matches none of the %d workloads of namespace %q: the policy has no effect",
				field, text, has[p.Namespace], p.Namespace),
		})
	}
	return out
}

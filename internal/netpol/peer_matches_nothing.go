// Rule netpol/peer-matches-nothing: a from/to peer of a NetworkPolicy rule whose
// selectors match no workload. The rule then allows nothing, and the flow it was
// written for is blocked or, worse, was "fixed" by a broader rule elsewhere.
//
// Decisions: a peer is checked only when every namespace it can match is known to the
// inventory: a podSelector alone (the policy's namespace), or a namespaceSelector that
// names namespaces by kubernetes.io/metadata.name, each of which has workloads in the
// inventory. A peer that selects namespaces by other labels may match namespaces the
// manifests do not hold, so it is not judged.
package netpol

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "netpol/peer-matches-nothing",
			Title:    "NetworkPolicy peer matches no workload",
			Severity: finding.Low,
			Description: `A from or to entry of a NetworkPolicy rule selects pods (podSelector, with or without a
namespaceSelector naming namespaces) that no workload of those namespaces has. The entry
allows nothing: a label typo or a renamed workload, and the flow it was meant to allow is
blocked or allowed by something broader. kube-linter and Kubescape practice; CIS
Kubernetes Benchmark 5.3.2; NSA/CISA Kubernetes Hardening Guide, network separation.`,
			Remediation: "Fix the peer's podSelector (and namespaceSelector) so that it matches the pod labels of the intended workload, or remove the entry.",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation"},
			Kinds:       []string{"NetworkPolicy"},
		},
		Inventory: checkPeerMatchesNothing,
	})
}

func checkPeerMatchesNothing(c *rule.Context) []rule.Result {
	v := newView(c)
	byNS := map[string][]*reach.Workload{}
	for _, w := range v.m.Workloads {
		byNS[w.Namespace] = append(byNS[w.Namespace], w)
	}
	var out []rule.Result
	for _, p := range v.m.Policies {
		if p.Obj == nil {
			continue
		}
		for _, dir := range []struct {
			field, peers string
			rules        []*reach.Rule
		}{{"spec.ingress", "from", p.IngressRules}, {"spec.egress", "to", p.EgressRules}} {
			for _, r := range dir.rules {
				for j, pe := range r.Peers {
					if pe.IPBlock != nil || pe.Pod == nil {
						continue // a namespaceSelector alone selects every pod of the namespaces
					}
					nss, known := []string{p.Namespace}, true
					if pe.Namespace != nil {
						nss, known = namedNamespaces(pe.Namespace)
					}
					if !known || len(nss) == 0 {
						continue
					}
					any := false
					for _, ns := range nss {
						if len(byNS[ns]) == 0 {
							known = false
						}
						for _, w := range byNS[ns] {
							if pe.Pod.Matches(labels.Set(w.Labels)) {
								any = true
							}
						}
					}
					if any || !known {
						continue
					}
					out = append(out, rule.Result{
						Object: p.Obj,
						Path:   fmt.Sprintf("%s[%d].%s[%d].podSelector", dir.field, r.Index, dir.peers, j),
						Message: fmt.Sprintf("%s[%d].%s[%d] selects pods %q in namespace %s, and no workload there has those labels: the entry allows nothing",
							dir.field, r.Index, dir.peers, j, pe.Pod.String(), strings.Join(nss, ", ")),
					})
				}
			}
		}
	}
	return out
}

// namedNamespaces returns the namespaces a selector names by kubernetes.io/metadata.name
// (= or in), and false when it selects by anything else.
func namedNamespaces(s labels.Selector) ([]string, bool) {
	reqs, ok := s.Requirements()
	if !ok || len(reqs) != 1 || reqs[0].Key() != reach.NamespaceNameLabel {
		return nil, false
	}
	switch reqs[0].Operator() {
	case selection.Equals, selection.DoubleEquals, selection.In:
		return reqs[0].Values().List(), true
	}
	return nil, false
}

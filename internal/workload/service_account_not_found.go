package workload

// pod/service-account-not-found: a pod should run as a ServiceAccount that exists in
// its namespace. The ServiceAccount admission plugin refuses a pod whose
// serviceAccountName (or deprecated serviceAccount) names none, so the workload never
// starts — until someone creates that name, and whoever does decides what its pods may
// do. "default" is never reported: Kubernetes creates it in every namespace.
//
// Inputs are often partial: a chart or a directory holds a Deployment whose
// ServiceAccount another repository, chart or operator creates. The rule therefore
// judges a namespace only when the scan holds at least one ServiceAccount of that
// namespace — it then takes the scan's ServiceAccounts there to be all of them, as a
// live scan's are (and a live scan whose credentials may not list ServiceAccounts
// holds none, so it judges nothing). A pod a controller of the inventory owns is left
// to its controller. It is an inventory rule: at admission the one object under review
// says nothing about the namespace's ServiceAccounts.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/service-account-not-found",
			Title:    "Pod runs as a service account that does not exist",
			Severity: finding.Low,
			Description: "The pod's serviceAccountName names a ServiceAccount that is not in its namespace. The API " +
				"server's ServiceAccount admission refuses such pods, so the workload does not start; and the name is " +
				"free: whoever can create ServiceAccounts in the namespace, or a RoleBinding made for it, decides what " +
				"the pods may do once it exists. kube-linter (non-existent-service-account) checks the same; NSA/CISA " +
				"Kubernetes Hardening Guide, service account tokens. The rule judges a namespace only when the scan " +
				"holds at least one of its ServiceAccounts, so that a chart or directory that leaves ServiceAccounts to " +
				"another source is not reported; \"default\" always exists and is never reported.",
			Remediation: "Create the ServiceAccount in the pod's namespace with the same manifests (and grant it only " +
				"what the pods need), or correct serviceAccountName to an existing one.",
			Frameworks: finding.Frameworks{NSA: nsaSATokens, MITRE: "T1078"},
			Kinds:      append(append([]string(nil), podspec.Kinds...), "ServiceAccount"),
		},
		Inventory: serviceAccountNotFound,
	})
}

func serviceAccountNotFound(c *rule.Context) []rule.Result {
	inv := c.Inventory
	if inv == nil {
		return nil
	}
	held := map[string][]string{} // namespace → names of its ServiceAccounts in the scan
	for _, so := range inv.Kind("ServiceAccount") {
		if so.GVK.Group == "" {
			held[so.EffectiveNamespace()] = append(held[so.EffectiveNamespace()], so.Name())
		}
	}
	if len(held) == 0 {
		return nil
	}
	var out []rule.Result
	for _, o := range inv.Objects {
		if c.Err() != nil {
			break
		}
		p, ok := podspec.Of(o)
		if !ok || inv.HasOwnerOf(o) {
			continue
		}
		name, field := serviceAccountName(p)
		ns := o.EffectiveNamespace()
		names, judged := held[ns]
		if name == "default" || !judged || slices.Contains(names, name) {
			continue
		}
		out = append(out, rule.Result{
			Object: o,
			Message: fmt.Sprintf("%s runs as service account %q, which is not in namespace %q (the scan holds %s there): its pods are refused until someone creates that name, and what they may do is then theirs to decide",
				podNoun(o), name, ns, listNames(names)),
			Path: p.Path + "." + field,
		})
	}
	return out
}

// listNames quotes up to five names, sorted: `"api", "default" and 3 more`.
func listNames(names []string) string {
	s := slices.Sorted(slices.Values(names))
	var q []string
	for i, n := range s {
		if i == 5 {
			q = append(q, fmt.Sprintf("%d more", len(s)-5))
			break
		}
		q = append(q, fmt.Sprintf("%q", n))
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

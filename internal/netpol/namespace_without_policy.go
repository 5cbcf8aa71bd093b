// Rule netpol/namespace-without-policy: a namespace that runs workloads (pods or pod
// controllers) must have at least one NetworkPolicy. Without one, every pod in it
// accepts connections from every pod in the cluster and may connect anywhere.
//
// It is an inventory rule: it needs every object of the namespace, so admission, which
// sees one object, does not run it.
//
// Decisions:
//   - Pods on the host network are not counted: NetworkPolicy does not apply to them.
//     Neither are PodTemplates, which run nothing, nor objects whose controller is in the
//     inventory (the ReplicaSets and Pods of a Deployment read from a cluster).
//   - kube-system is checked like any namespace, as CIS 5.3.2 asks for every namespace:
//     CoreDNS and metrics-server there are pod-network targets. A team that accepts it
//     adds an exception to .moat.yaml.
//   - A policy is one Moat evaluates (package reach): a networking.k8s.io NetworkPolicy,
//     a Calico NetworkPolicy or a CiliumNetworkPolicy in the namespace, or a
//     cluster-wide policy (AdminNetworkPolicy, BaselineAdminNetworkPolicy, Calico
//     GlobalNetworkPolicy, CiliumClusterwideNetworkPolicy) that applies to one of its
//     workloads. A policy Moat could not read or does not evaluate does not count: the
//     finding names it.
package netpol

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "netpol/namespace-without-policy",
			Title:    "Namespace runs workloads without any NetworkPolicy",
			Severity: finding.Medium,
			Description: `A namespace holds workloads (pods or pod controllers) and no NetworkPolicy. Kubernetes
allows all traffic to and from a pod that no policy selects, so every pod of the namespace
accepts connections from any pod in the cluster and may open connections anywhere: one
compromised pod can scan the cluster and reach these services. CIS Kubernetes Benchmark
5.3.2 (ensure that all namespaces have NetworkPolicies defined); NSA/CISA Kubernetes
Hardening Guide, network separation and hardening (default-deny policies); MITRE ATT&CK
T1046 (network service discovery), the first step of lateral movement. Pods on the host
network are not counted, since NetworkPolicy does not apply to them. Calico and Cilium
policies count as policies, and so do cluster-wide policies that apply to a workload of
the namespace.`,
			Remediation: "Add a default-deny NetworkPolicy to the namespace (podSelector: {} with policyTypes Ingress and Egress) and policies that allow the traffic each workload needs.",
			Frameworks:  finding.Frameworks{CIS: "5.3.2", NSA: "network-separation", MITRE: "T1046"},
			Kinds:       []string{"Namespace"},
		},
		Inventory: checkNamespaceWithoutPolicy,
	})
}

func checkNamespaceWithoutPolicy(c *rule.Context) []rule.Result {
	inv := c.Inventory
	v := newView(c)
	var out []rule.Result
	for _, ns := range inv.Namespaces() {
		if len(v.policiesIn(ns)) > 0 || slices.ContainsFunc(v.byNS[ns], v.a.Governed) {
			continue
		}
		workloads := networkedWorkloads(inv, inv.InNamespace(ns))
		if len(workloads) == 0 {
			continue
		}
		out = append(out, rule.Result{
			Object: v.namespaceObject(ns, workloads[0]),
			Message: fmt.Sprintf("namespace %q runs %s and has no NetworkPolicy: its pods accept traffic from every pod in the cluster and may connect anywhere%s",
				ns, describe(workloads), v.notEvaluated(nil, ns)),
		})
	}
	return out
}

// networkedWorkloads are the objects that run pods on the pod network, leaving out pods
// and ReplicaSets whose controller is in the inventory too.
func networkedWorkloads(inv *inventory.Inventory, objs []*inventory.Object) []*inventory.Object {
	var out []*inventory.Object
	for _, o := range objs {
		if o.Kind() == "PodTemplate" {
			continue
		}
		p, ok := podspec.Of(o)
		if !ok || p.Spec.HostNetwork {
			continue
		}
		if ctrl := metav1.GetControllerOf(o.Meta); ctrl != nil && inv.Find(ctrl.Kind, o.EffectiveNamespace(), ctrl.Name) != nil {
			continue
		}
		out = append(out, o)
	}
	return out
}

// namespaceObject is the Namespace object of ns, or, when the inventory has none (the
// manifests only name the namespace in their metadata), a synthetic Namespace that
// carries the file of the namespace's first workload as its source, with no line: the
// file is where a NetworkPolicy is most likely to belong.
func (v *view) namespaceObject(ns string, first *inventory.Object) *inventory.Object {
	if o, ok := v.nsObjs[ns]; ok {
		return o
	}
	var src *finding.Source
	if first.Source != nil {
		src = &finding.Source{File: first.Source.File, Origin: first.Source.Origin}
	}
	obj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	return inventory.New(obj, corev1.SchemeGroupVersion.WithKind("Namespace"), src)
}

// describe names up to four workloads: `2 workloads (Deployment "cart", StatefulSet "db")`.
func describe(ws []*inventory.Object) string {
	const max = 4
	var names []string
	for i, w := range ws {
		if i == max {
			names = append(names, fmt.Sprintf("and %d more", len(ws)-max))
			break
		}
		names = append(names, fmt.Sprintf("%s %q", w.Kind(), w.Name()))
	}
	noun := "workloads"
	if len(ws) == 1 {
		noun = "workload"
	}
	return fmt.Sprintf("%d %s (%s)", len(ws), noun, strings.Join(names, ", "))
}

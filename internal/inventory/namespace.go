package inventory

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// setNamespace gives every namespaced object written without a namespace the namespace
// of -n, as `kubectl apply -n` and `helm template -n` place them. It sets it on the
// object itself (Meta is its accessor), so findings, EffectiveNamespace and the
// references that default to the object's namespace (a RoleBinding's ServiceAccount
// subjects) all follow.
//
// An object that has a namespace keeps it: Helm keeps it, and kubectl refuses the
// apply, which a scan reports no better by moving the object. Cluster-scoped kinds
// stay without one. The scope of a custom kind comes from its CustomResourceDefinition
// in the scan; a kind whose scope nothing tells is left as written and named in one
// warning, since guessing would put a cluster-scoped object in a namespace or a
// namespaced one in "default". The caller reindexes the inventory afterwards.
func setNamespace(inv *Inventory, ns string) {
	if ns == "" {
		return
	}
	crds := crdScopes(inv.Objects)
	unknown := map[string]bool{}
	for _, o := range inv.Objects {
		if o.Meta.GetNamespace() != "" {
			continue
		}
		switch scopeOf(o, crds) {
		case scopeNamespaced:
			o.Meta.SetNamespace(ns)
		case scopeUnknown:
			unknown[kindName(o.GVK.GroupKind())] = true
		}
	}
	if len(unknown) > 0 {
		inv.Warnings = append(inv.Warnings, fmt.Sprintf(
			"-n %s: no CustomResourceDefinition in the scan gives the scope of %s; objects of these kinds written without a namespace were left without one",
			ns, strings.Join(sortedKeys(unknown), ", ")))
	}
}

type scope int

const (
	scopeUnknown scope = iota
	scopeNamespaced
	scopeCluster
)

// scopeOf says whether objects of o's kind live in a namespace: cluster-scoped
// built-ins first, then the kinds of Kubernetes' own API groups (the client-go scheme
// knows them, and their removed versions keep the group), then a CRD of the scan,
// then the custom kinds Moat's analyses read.
func scopeOf(o *Object, crds map[schema.GroupKind]scope) scope {
	gk := o.GVK.GroupKind()
	if IsClusterScoped(gk) {
		return scopeCluster
	}
	if _, ok := o.Obj.(*unstructured.Unstructured); !ok || builtinGroups()[gk.Group] {
		return scopeNamespaced
	}
	if s, ok := crds[gk]; ok {
		return s
	}
	if namespacedCustomKinds[gk] {
		return scopeNamespaced
	}
	return scopeUnknown
}

// namespacedCustomKinds are the namespaced custom resources Moat's analyses read:
// the network policies of Cilium and Calico, and the workloads whose pod template
// rules read (Argo Rollouts, OpenShift DeploymentConfigs).
var namespacedCustomKinds = map[schema.GroupKind]bool{
	{Group: "cilium.io", Kind: "CiliumNetworkPolicy"}:       true,
	{Group: "projectcalico.org", Kind: "NetworkPolicy"}:     true,
	{Group: "crd.projectcalico.org", Kind: "NetworkPolicy"}: true,
	{Group: "projectcalico.org", Kind: "NetworkSet"}:        true,
	{Group: "crd.projectcalico.org", Kind: "NetworkSet"}:    true,
	{Group: "argoproj.io", Kind: "Rollout"}:                 true,
	{Group: "apps.openshift.io", Kind: "DeploymentConfig"}:  true,
	{Group: "wgpolicyk8s.io", Kind: "PolicyReport"}:         true,
}

// builtinGroups are the API groups of the client-go scheme: Kubernetes' own.
var builtinGroups = sync.OnceValue(func() map[string]bool {
	groups := map[string]bool{}
	for gvk := range scheme.Scheme.AllKnownTypes() {
		groups[gvk.Group] = true
	}
	return groups
})

// crdScopes reads the scope of every kind a CustomResourceDefinition of the scan
// declares. apiextensions v1beta1 defaults an empty scope to Namespaced; v1 requires it.
func crdScopes(objs []*Object) map[schema.GroupKind]scope {
	out := map[schema.GroupKind]scope{}
	for _, o := range objs {
		if o.GVK.Group != "apiextensions.k8s.io" || o.GVK.Kind != "CustomResourceDefinition" {
			continue
		}
		spec := crdSpec(o.Obj)
		group, _, _ := unstructured.NestedString(spec, "group")
		kind, _, _ := unstructured.NestedString(spec, "names", "kind")
		s, _, _ := unstructured.NestedString(spec, "scope")
		if s == "" && o.GVK.Version == "v1beta1" {
			s = "Namespaced"
		}
		if kind == "" {
			continue
		}
		switch s {
		case "Namespaced":
			out[schema.GroupKind{Group: group, Kind: kind}] = scopeNamespaced
		case "Cluster":
			out[schema.GroupKind{Group: group, Kind: kind}] = scopeCluster
		}
	}
	return out
}

// crdSpec is the spec of a CRD as a map, whether it was decoded typed or not.
func crdSpec(obj runtime.Object) map[string]any {
	var m map[string]any
	if u, ok := obj.(*unstructured.Unstructured); ok {
		m = u.Object
	} else if c, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj); err == nil {
		m = c
	}
	spec, _, _ := unstructured.NestedFieldNoCopy(m, "spec")
	s, _ := spec.(map[string]any)
	return s
}

// kindName writes a group kind as kubectl does: Kind.group, or Kind for the core group.
func kindName(gk schema.GroupKind) string {
	if gk.Group == "" {
		return gk.Kind
	}
	return gk.Kind + "." + gk.Group
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

package inventory

import (
	"slices"
	"sort"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Inventory is every object of one scan, indexed by kind and namespace.
type Inventory struct {
	Objects []*Object
	// Errors are the inputs that could not be read or decoded, each naming its file and line.
	Errors []error
	// Warnings are problems that did not stop anything but lost coverage (e.g. a kind
	// the scanner may not list in a cluster).
	Warnings []string
	// Partial is set when whole kinds could not be read (a cluster scan whose credentials
	// may not list them); Warnings say which. A partial scan exits with code 2.
	Partial bool
	// Skipped are the files of a directory walk that hold no Kubernetes object, and
	// directories of Kustomize Components that no kustomization of the scan uses: read,
	// not scanned, and not an error.
	Skipped []Skipped
	// Builtin are the objects every cluster of the target version has and that a file
	// scan does not hold: the bootstrap ClusterRoles, Roles and their bindings (admin,
	// edit, view, system:*). Analyses that resolve references (RBAC) read them after
	// the scanned objects, which take precedence; no rule reports on them. Nil for a
	// live scan, which reads the cluster's own.
	Builtin []*Object

	byKind map[string][]*Object
	byNS   map[string][]*Object
}

// Skipped is an input that was read and holds nothing to scan.
type Skipped struct {
	// Path is the file or directory, with forward slashes.
	Path string
	// Reason says why it was not scanned.
	Reason string
}

// NewInventory indexes objects.
func NewInventory(objs []*Object) *Inventory {
	inv := &Inventory{}
	inv.Add(objs...)
	return inv
}

// Add appends objects and updates the indexes.
func (inv *Inventory) Add(objs ...*Object) {
	if inv.byKind == nil {
		inv.byKind = map[string][]*Object{}
		inv.byNS = map[string][]*Object{}
	}
	for _, o := range objs {
		inv.Objects = append(inv.Objects, o)
		inv.byKind[o.GVK.Kind] = append(inv.byKind[o.GVK.Kind], o)
		if ns := o.EffectiveNamespace(); ns != "" {
			inv.byNS[ns] = append(inv.byNS[ns], o)
		}
	}
}

// Kind returns the objects of a kind ("Deployment"), in input order.
func (inv *Inventory) Kind(kind string) []*Object { return inv.byKind[kind] }

// GroupKind returns the objects of a kind in one API group.
func (inv *Inventory) GroupKind(gk schema.GroupKind) []*Object {
	var out []*Object
	for _, o := range inv.byKind[gk.Kind] {
		if o.GVK.Group == gk.Group {
			out = append(out, o)
		}
	}
	return out
}

// InNamespace returns the namespaced objects whose effective namespace is ns.
func (inv *Inventory) InNamespace(ns string) []*Object { return inv.byNS[ns] }

// Namespaces lists, sorted, every namespace that holds an object or is declared by a
// Namespace object.
func (inv *Inventory) Namespaces() []string {
	seen := map[string]bool{}
	for ns := range inv.byNS {
		seen[ns] = true
	}
	for _, o := range inv.byKind["Namespace"] {
		if o.GVK.Group == "" {
			seen[o.Name()] = true
		}
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// Find returns the object of kind, namespace and name, or nil.
func (inv *Inventory) Find(kind, namespace, name string) *Object {
	i := slices.IndexFunc(inv.byKind[kind], func(o *Object) bool {
		return o.Name() == name && o.EffectiveNamespace() == namespace
	})
	if i < 0 {
		return nil
	}
	return inv.byKind[kind][i]
}

// HasOwnerOf reports whether the inventory holds o's controlling owner (a Deployment's
// ReplicaSet, a ReplicaSet's pod): the owner carries the same pod template, and rules
// report on it instead.
func (inv *Inventory) HasOwnerOf(o *Object) bool {
	for _, r := range o.Meta.GetOwnerReferences() {
		if r.Controller != nil && *r.Controller && inv.Find(r.Kind, o.EffectiveNamespace(), r.Name) != nil {
			return true
		}
	}
	return false
}

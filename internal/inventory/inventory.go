package inventory

import (
	"fmt"
	"sort"
	"strings"
	"sync"

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
	// byID places each named object in byKind and byNS, so that a later definition
	// of it takes the earlier one's place there; redefined lists, in load order, the
	// definitions of the objects defined more than once.
	byID      map[objectID]slot
	redefined map[objectID][]*Object
	dupOrder  []objectID
	// named indexes the kinds that Named was asked about.
	named nameIndex
}

// objectID is what names an object in a cluster: two objects with the same ID are
// one object defined twice.
type objectID struct{ group, kind, namespace, name string }

// slot is where an object sits in the indexes: its place in byKind[kind] and in
// byNS[namespace] (-1 for a cluster-scoped object).
type slot struct{ kind, ns int }

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
//
// An object defined more than once (same group, kind, namespace and name: two
// install variants in one tree, two overlays of one base) stays in Objects each
// time, so that rules that look at one object check every definition, each with
// its own source. The indexes, which analyses across objects read, hold only the
// last definition: what `kubectl apply -f` of all of them in order leaves.
// duplicateWarnings names them.
func (inv *Inventory) Add(objs ...*Object) {
	if inv.byKind == nil {
		inv.byKind = map[string][]*Object{}
		inv.byNS = map[string][]*Object{}
		inv.byID = make(map[objectID]slot, len(objs))
	}
	for _, o := range objs {
		inv.Objects = append(inv.Objects, o)
		inv.index(o)
	}
	inv.named.reset()
}

// index puts o in byKind and byNS, in the place of an earlier definition of it.
func (inv *Inventory) index(o *Object) {
	ns := o.EffectiveNamespace()
	id, named := idOf(o, ns)
	if named {
		if at, ok := inv.byID[id]; ok {
			inv.redefine(id, at, o)
			return
		}
	}
	at := slot{kind: len(inv.byKind[o.GVK.Kind]), ns: -1}
	inv.byKind[o.GVK.Kind] = append(inv.byKind[o.GVK.Kind], o)
	if ns != "" {
		at.ns = len(inv.byNS[ns])
		inv.byNS[ns] = append(inv.byNS[ns], o)
	}
	if named {
		inv.byID[id] = at
	}
}

// idOf is o's ID, and whether it has one: an object with only a generateName is
// named by the cluster, anew each time.
func idOf(o *Object, ns string) (objectID, bool) {
	name := o.Meta.GetName()
	return objectID{group: o.GVK.Group, kind: o.GVK.Kind, namespace: ns, name: name}, name != ""
}

// redefine puts o, a later definition of the object id, in the place of the one
// the indexes hold, and remembers both.
func (inv *Inventory) redefine(id objectID, at slot, o *Object) {
	prev := inv.byKind[id.kind][at.kind]
	inv.byKind[id.kind][at.kind] = o
	if at.ns >= 0 {
		inv.byNS[id.namespace][at.ns] = o
	}
	if inv.redefined == nil {
		inv.redefined = map[objectID][]*Object{}
	}
	if len(inv.redefined[id]) == 0 {
		inv.redefined[id] = []*Object{prev}
		inv.dupOrder = append(inv.dupOrder, id)
	}
	inv.redefined[id] = append(inv.redefined[id], o)
}

// reindex builds the indexes again from Objects, for a loader that changed the
// namespaces of objects it already added (-n).
func (inv *Inventory) reindex() {
	inv.byKind, inv.byNS, inv.byID = map[string][]*Object{}, map[string][]*Object{}, map[objectID]slot{}
	inv.redefined, inv.dupOrder = nil, nil
	inv.named.reset()
	for _, o := range inv.Objects {
		inv.index(o)
	}
}

// duplicateWarnings says, once for each object defined more than once, where each
// definition is and which one analyses across objects use:
// "Pod default/p is defined more than once: a.yaml:1 (first), b.yaml:1; analyses
// across objects use b.yaml:1".
func (inv *Inventory) duplicateWarnings() []string {
	var out []string
	for _, id := range inv.dupOrder {
		defs := inv.redefined[id]
		where := make([]string, len(defs))
		for i, o := range defs {
			where[i] = sourceOf(o)
		}
		where[0] += " (first)"
		name := id.name
		if id.namespace != "" {
			name = id.namespace + "/" + name
		}
		out = append(out, fmt.Sprintf("%s %s is defined more than once: %s; analyses across objects use %s",
			id.kind, name, strings.Join(where, ", "), sourceOf(defs[len(defs)-1])))
	}
	return out
}

// sourceOf names where an object was defined: "file:line (origin)". An item of a
// List is named by its own line.
func sourceOf(o *Object) string {
	s := o.SourceAt("")
	if s == nil {
		return "(no source)"
	}
	if s.Origin != "" {
		return s.String() + " (" + s.Origin + ")"
	}
	return s.String()
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

// Find returns the object of kind, namespace and name, or nil: the first of Named.
func (inv *Inventory) Find(kind, namespace, name string) *Object {
	if objs := inv.Named(kind, namespace, name); len(objs) > 0 {
		return objs[0]
	}
	return nil
}

// Named returns the objects of Kind(kind) whose Name is name and whose effective
// namespace is namespace, in the order of Kind: one, unless kinds of several groups
// share the name. It looks them up in an index of the kind built on the first call, so
// that a rule that finds a pod's ServiceAccount or owner costs the same on a cluster of
// any size (scanning the kind was quadratic in a scan: a tenth of one of 100,000
// objects). It is safe for concurrent use once the inventory is built.
func (inv *Inventory) Named(kind, namespace, name string) []*Object {
	idx := inv.named.of(kind, inv.byKind[kind])
	return idx[nameKey{namespace, name}]
}

// nameKey is an object's effective namespace and Name within one kind.
type nameKey struct{ namespace, name string }

// nameIndex holds, for each kind asked about, its objects by namespace and name. Add
// and reindex drop it.
type nameIndex struct {
	mu     sync.Mutex
	byKind map[string]map[nameKey][]*Object
}

func (x *nameIndex) of(kind string, objs []*Object) map[nameKey][]*Object {
	x.mu.Lock()
	defer x.mu.Unlock()
	if idx, ok := x.byKind[kind]; ok {
		return idx
	}
	idx := make(map[nameKey][]*Object, len(objs))
	for _, o := range objs {
		k := nameKey{o.EffectiveNamespace(), o.Name()}
		idx[k] = append(idx[k], o)
	}
	if x.byKind == nil {
		x.byKind = map[string]map[nameKey][]*Object{}
	}
	x.byKind[kind] = idx
	return idx
}

func (x *nameIndex) reset() {
	x.mu.Lock()
	x.byKind = nil
	x.mu.Unlock()
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

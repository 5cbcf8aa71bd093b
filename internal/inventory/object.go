// Package inventory decodes Kubernetes objects once, from manifests, charts,
// overlays or a cluster, remembers where each came from, and indexes them by
// kind and namespace. Analyzers read the inventory; none of them parses YAML.
package inventory

import (
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	yaml3 "go.yaml.in/yaml/v3"

	"github.com/moat-dev/moat/internal/finding"
)

// Object is one decoded Kubernetes object and where it came from.
type Object struct {
	// Obj is a typed object from the client-go scheme (e.g. *appsv1.Deployment), or
	// *unstructured.Unstructured for kinds the scheme does not know (CRDs, removed APIs).
	Obj runtime.Object
	// GVK is the group, version and kind as written in the source.
	GVK  schema.GroupVersionKind
	Meta metav1.Object
	// Source is nil for objects read from a cluster.
	Source *finding.Source

	// raw is the YAML or JSON document the object was decoded from; itemPath is its
	// place inside a List document ("items[3]"). Both serve Line.
	raw      []byte
	itemPath string
	shared   *Object // the List item whose raw document this one shares
	lineOnce sync.Once
	root     *yaml3.Node
}

// New wraps a decoded object. It is used by loaders that have no document text (the cluster).
func New(obj runtime.Object, gvk schema.GroupVersionKind, src *finding.Source) *Object {
	m, err := meta.Accessor(obj)
	if err != nil {
		m = &metav1.ObjectMeta{}
	}
	return &Object{Obj: obj, GVK: gvk, Meta: m, Source: src}
}

// Kind is the object's kind, e.g. "Deployment".
func (o *Object) Kind() string { return o.GVK.Kind }

// Name is metadata.name, or metadata.generateName followed by "*" when only that is set.
func (o *Object) Name() string {
	if n := o.Meta.GetName(); n != "" {
		return n
	}
	if g := o.Meta.GetGenerateName(); g != "" {
		return g + "*"
	}
	return ""
}

// Namespace is metadata.namespace as written; empty for cluster-scoped kinds and for
// namespaced objects written without one.
func (o *Object) Namespace() string { return o.Meta.GetNamespace() }

// EffectiveNamespace is the namespace the object lands in when applied without -n:
// "default" for a namespaced object written without one, "" for cluster-scoped kinds.
func (o *Object) EffectiveNamespace() string {
	if ns := o.Meta.GetNamespace(); ns != "" {
		return ns
	}
	if IsClusterScoped(o.GVK.GroupKind()) {
		return ""
	}
	return "default"
}

// Ref is the resource reference findings carry.
func (o *Object) Ref() finding.Resource {
	return finding.Resource{
		APIVersion: o.GVK.GroupVersion().String(),
		Kind:       o.GVK.Kind,
		Namespace:  o.Meta.GetNamespace(),
		Name:       o.Name(),
	}
}

// SourceAt returns the source position of a field path such as
// "spec.template.spec.containers[0].securityContext.privileged": the line of the
// deepest part of the path that is written in the document, or the document's first
// line when none is. It returns nil for objects with no source.
func (o *Object) SourceAt(path string) *finding.Source {
	if o.Source == nil {
		return nil
	}
	s := *o.Source
	if line := o.lineOf(path); line > 0 {
		s.Line = line
	}
	return &s
}

func (o *Object) lineOf(path string) int {
	owner := o
	if o.shared != nil {
		owner = o.shared
	}
	owner.lineOnce.Do(func() {
		if owner.raw == nil {
			return
		}
		var doc yaml3.Node
		if yaml3.Unmarshal(owner.raw, &doc) == nil && len(doc.Content) > 0 {
			owner.root = doc.Content[0]
		}
		owner.raw = nil // the node tree replaces the text
	})
	if owner.root == nil {
		return 0
	}
	full := path
	if o.itemPath != "" {
		full = strings.TrimSuffix(o.itemPath+"."+path, ".")
	}
	n, line := owner.root, owner.root.Line
	for _, seg := range splitPath(full) {
		key, val := child(n, seg)
		if val == nil {
			break
		}
		n, line = val, val.Line
		if key != nil {
			line = key.Line // "securityContext:" rather than its first field
		}
	}
	// yaml lines count from 1 within the document, which starts at Source.Line.
	return line + o.Source.Line - 1
}

// splitPath turns "a.b[2].c" into ["a", "b", "[2]", "c"].
func splitPath(p string) []string {
	var out []string
	for _, part := range strings.Split(p, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			switch {
			case i < 0:
				out = append(out, part)
				part = ""
			case i > 0:
				out = append(out, part[:i])
				part = part[i:]
			default:
				j := strings.IndexByte(part, ']')
				if j < 0 {
					out = append(out, part)
					part = ""
					continue
				}
				out = append(out, part[:j+1])
				part = part[j+1:]
			}
		}
	}
	return out
}

// child finds seg ("name" or "[i]") below n and returns the key node (nil for a
// sequence item) and the value node, or nil, nil.
func child(n *yaml3.Node, seg string) (key, val *yaml3.Node) {
	for n.Kind == yaml3.DocumentNode || n.Kind == yaml3.AliasNode {
		if n.Kind == yaml3.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return nil, nil
		}
	}
	if strings.HasPrefix(seg, "[") {
		i, err := strconv.Atoi(strings.Trim(seg, "[]"))
		if err != nil || n.Kind != yaml3.SequenceNode || i < 0 || i >= len(n.Content) {
			return nil, nil
		}
		return nil, n.Content[i]
	}
	if n.Kind != yaml3.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == seg {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

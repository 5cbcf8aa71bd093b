// Package inventory decodes Kubernetes objects once, from manifests, charts,
// overlays or a cluster, remembers where each came from, and indexes them by
// kind and namespace. Analyzers read the inventory; none of them parses YAML.
package inventory

import (
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

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
	// Generated holds the field paths, written as findings write them
	// ("data.password", "data[tls.key]"), whose values the chart that rendered the
	// object makes anew on every render: randAlphaNum, genPrivateKey, genCA, uuidv4
	// and the like (see markGenerated). Nil for objects not rendered from a chart.
	Generated map[string]bool
	// PodTemplate is the pod template of a workload kind that Obj's type does not
	// give (an Argo Rollout, an OpenShift DeploymentConfig, a custom resource named by
	// the config file's podTemplatePaths), decoded once before rules run so that they
	// read it concurrently; PodTemplatePath is its field path ("spec.template"). Nil
	// for every other object.
	PodTemplate     *corev1.PodTemplateSpec
	PodTemplatePath string

	// text is the line index of the object's document, for SourceAt; itemPath is the
	// object's place inside a List document ("items[3]"), whose items share one text.
	text     *docText
	itemPath string
	// apiVersion is GVK's group/version as Ref writes it, made once: Ref runs for
	// every finding.
	apiVersion string
}

// New wraps a decoded object. It is used by loaders that have no document text (the cluster).
func New(obj runtime.Object, gvk schema.GroupVersionKind, src *finding.Source) *Object {
	m, err := meta.Accessor(obj)
	if err != nil {
		m = &metav1.ObjectMeta{}
	}
	return &Object{Obj: obj, GVK: gvk, Meta: m, Source: src, apiVersion: apiVersion(gvk.GroupVersion())}
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
	av := o.apiVersion
	if av == "" { // an Object made without New
		av = apiVersion(o.GVK.GroupVersion())
	}
	return finding.Resource{
		APIVersion: av,
		Kind:       o.GVK.Kind,
		Namespace:  o.Meta.GetNamespace(),
		Name:       o.Name(),
	}
}

// apiVersions interns the "group/version" strings: Ref runs once for every finding, and
// a scan names few group versions.
var apiVersions sync.Map // schema.GroupVersion → string

// apiVersion is gv.String(), made once for each group version.
func apiVersion(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return gv.Version // no allocation
	}
	if s, ok := apiVersions.Load(gv); ok {
		return s.(string)
	}
	s, _ := apiVersions.LoadOrStore(gv, gv.String())
	return s.(string)
}

// SourceAt returns the source position of a field path such as
// "spec.template.spec.containers[0].securityContext.privileged": the line of the
// deepest part of the path that is written in the document, or the document's first
// line when none is. It returns nil for objects with no source.
//
// SourceAt only walks the line index the object's document was given when it was
// decoded: it reads no file, so the line is always one of the text the object was
// decoded from, whatever happened to the file since. It is safe for concurrent use.
func (o *Object) SourceAt(path string) *finding.Source {
	s, ok := o.SourceValueAt(path)
	if !ok {
		return nil
	}
	return &s
}

// SourceValueAt is SourceAt as a value, and false for objects with no source: for a
// caller that shares one Source among the findings of one line.
func (o *Object) SourceValueAt(path string) (finding.Source, bool) {
	if o.Source == nil {
		return finding.Source{}, false
	}
	s := *o.Source
	line := o.lineOf(path)
	switch {
	case line <= 0:
	case o.text.rendered != nil:
		// A chart template's object: the line of the template that wrote the field,
		// or none, never a line of the rendered text.
		s.Line, s.LineUnknown = o.text.rendered.at(line), ""
		if s.Line == 0 {
			s.LineUnknown = lineUnknownReason
		}
	default:
		s.Line = line
	}
	return s, true
}

// lineOf is the line of path in the text the object was decoded from, or 0.
func (o *Object) lineOf(path string) int {
	if o.text == nil || o.text.idx == nil {
		return 0
	}
	line := o.text.idx.lookupPaths(o.itemPath, path)
	if line <= 0 {
		return 0
	}
	// Index lines count from 1 within the document, which starts at Source.Line (at
	// start, for rendered text, whose Source.Line is a template line).
	base := o.Source.Line
	if o.text.rendered != nil {
		base = o.text.start
	}
	return line + base - 1
}

// splitPath turns "a.b[2].c" into ["a", "b", "[2]", "c"]. A bracketed segment may hold a
// map key with dots, as in "metadata.annotations[kubectl.kubernetes.io/last-applied-configuration]".
func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '.':
			if i > start {
				out = append(out, p[start:i])
			}
			start = i + 1
		case '[':
			if i > start {
				out = append(out, p[start:i])
			}
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return append(out, p[i:])
			}
			out = append(out, p[i:i+j+1])
			i += j
			start = i + 1
		}
	}
	if start < len(p) {
		out = append(out, p[start:])
	}
	return out
}

package podspec

// Pod templates of kinds whose Go type does not give one. The client-go scheme does
// not know Argo Rollouts, OpenShift DeploymentConfigs or any custom resource: they are
// decoded as unstructured objects, and their pod template is a map. Prepare converts
// that map once, before rules run, into the object's PodTemplate, which Of then
// returns like the template of a Deployment. Rules read objects on many goroutines, so
// the conversion is never done lazily inside Of.
//
// The built-in list is short on purpose: kinds that are common and whose template is a
// plain PodTemplateSpec at a fixed path. The config file's podTemplatePaths name the
// rest (internal/exceptions). Left out: Argo Workflows (a Workflow's templates are
// steps, not pods), KubeVirt (a VirtualMachine is not a pod spec), and kinds such as
// Knative's Configuration whose pods a Service of theirs already describes.

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
)

// TemplatePath says where the objects of one kind keep their pod template.
type TemplatePath struct {
	// Group and Kind name the kind; Version, when set, limits the path to that version.
	Group, Version, Kind string
	// Path is the dotted field path of a PodTemplateSpec ("spec.template") or, when
	// PodSpec is set, of a bare PodSpec ("spec.podSpec").
	Path    string
	PodSpec bool
}

// matches says whether the path is the one of objects of gvk.
func (t TemplatePath) matches(gvk schema.GroupVersionKind) bool {
	return t.Group == gvk.Group && t.Kind == gvk.Kind && (t.Version == "" || t.Version == gvk.Version)
}

// BuiltinTemplates are the kinds outside the client-go scheme whose pod template Moat
// finds without being told:
//   - Argo Rollouts' Rollout (a Deployment with progressive delivery). A Rollout that
//     points at a Deployment with spec.workloadRef has no template of its own: the
//     Deployment is analysed instead;
//   - OpenShift's DeploymentConfig (apps.openshift.io/v1);
//   - Knative Serving's Service: its spec.template.spec is a RevisionSpec, which is a
//     PodSpec with a few fields of Knative's own beside it (those are not read).
var BuiltinTemplates = []TemplatePath{
	{Group: "argoproj.io", Kind: "Rollout", Path: "spec.template"},
	{Group: "apps.openshift.io", Kind: "DeploymentConfig", Path: "spec.template"},
	{Group: "serving.knative.dev", Kind: "Service", Path: "spec.template"},
}

// TemplateError is a pod template that could not be decoded: the rules that read pod
// specs skip the object, the others still run on it.
type TemplateError struct {
	Object finding.Resource
	Source *finding.Source // nil for objects read from a cluster
	Path   string
	Err    error
}

func (e *TemplateError) Error() string {
	msg := fmt.Sprintf("%s %s: %s: cannot read the pod template, so no pod rule checked it: %v", e.Object.APIVersion, e.Object, e.Path, e.Err)
	if e.Source != nil {
		return e.Source.String() + ": " + msg
	}
	return msg
}

func (e *TemplateError) Unwrap() error { return e.Err }

// Prepare sets the PodTemplate of every unstructured object whose kind keeps a pod
// template at a known path: paths first (the config file's, so that they may replace a
// built-in one), then BuiltinTemplates. An object whose template is absent (a Rollout
// with a workloadRef) gets none; one whose template cannot be decoded gets none and an
// error. Prepare writes the objects: call it before anything reads them concurrently.
func Prepare(objs []*inventory.Object, paths []TemplatePath) []error {
	all := append(append(make([]TemplatePath, 0, len(paths)+len(BuiltinTemplates)), paths...), BuiltinTemplates...)
	kinds := make(map[schema.GroupKind]bool, len(all))
	for _, p := range all {
		kinds[schema.GroupKind{Group: p.Group, Kind: p.Kind}] = true
	}
	var errs []error
	for _, o := range objs {
		u, ok := o.Obj.(*unstructured.Unstructured)
		if !ok {
			continue
		}
		if o.PodTemplate != nil || o.PodTemplatePath != "" {
			o.PodTemplate, o.PodTemplatePath = nil, "" // what an earlier Prepare set
		}
		if !kinds[o.GVK.GroupKind()] {
			continue
		}
		for _, p := range all {
			if !p.matches(o.GVK) {
				continue
			}
			if err := prepareOne(o, u, p); err != nil {
				errs = append(errs, err)
			}
			break
		}
	}
	return errs
}

func prepareOne(o *inventory.Object, u *unstructured.Unstructured, p TemplatePath) error {
	t, err := decodeTemplate(u.Object, p)
	if err != nil {
		path := p.Path
		var fe *fieldError
		if errors.As(err, &fe) {
			path += "." + fe.field
		}
		return &TemplateError{Object: o.Ref(), Source: o.SourceAt(path), Path: path, Err: err}
	}
	if t == nil {
		return nil
	}
	o.PodTemplate, o.PodTemplatePath = t, p.Path
	if p.PodSpec {
		o.PodTemplatePath += podSpecMark
	}
	return nil
}

// podSpecMark ends the PodTemplatePath of an object whose template is a bare PodSpec:
// the pod has no metadata of its own there. A space never occurs in a validated path.
const podSpecMark = " (PodSpec)"

// decodeTemplate converts the map at p.Path. It returns nil and no error when nothing
// (or null) is written there.
func decodeTemplate(obj map[string]any, p TemplatePath) (t *corev1.PodTemplateSpec, err error) {
	v, err := lookup(obj, p.Path)
	if err != nil || v == nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a mapping (a %s), not %s", kindOfTemplate(p), describe(v))
	}
	// The converter reflects over arbitrary input: should it ever panic on a shape it
	// did not expect, that is this object's error, not the scan's end.
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("malformed %s: %v", kindOfTemplate(p), r)
		}
	}()
	t = &corev1.PodTemplateSpec{}
	var into any = t
	if p.PodSpec {
		into = &t.Spec
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, into); err != nil {
		if fe := explain(m, p.PodSpec); fe != nil {
			return nil, fe
		}
		return nil, fmt.Errorf("malformed %s: %w", kindOfTemplate(p), err)
	}
	return t, nil
}

// lookup returns the value at a dotted path, or nil when the path is not written.
func lookup(obj map[string]any, path string) (any, error) {
	var v any = obj
	walked := ""
	for _, field := range strings.Split(path, ".") {
		if v == nil {
			return nil, nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s is %s, not a mapping", walked, describe(v))
		}
		v = m[field]
		walked = strings.TrimPrefix(walked+"."+field, ".")
	}
	return v, nil
}

func kindOfTemplate(p TemplatePath) string {
	if p.PodSpec {
		return "PodSpec"
	}
	return "PodTemplateSpec"
}

// describe names the type of a YAML value as a person wrote it.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %.40q", x)
	case []any:
		return "a list"
	case bool:
		return "a boolean"
	case int64, float64:
		return fmt.Sprintf("the number %v", x)
	}
	return reflect.TypeOf(v).String()
}

// templatePod is the Pod of an object that Prepare gave a template.
func templatePod(t *corev1.PodTemplateSpec, path string) Pod {
	if bare, ok := strings.CutSuffix(path, podSpecMark); ok {
		// No pod metadata is written in the object: its own stands nearest.
		return Pod{Meta: &t.ObjectMeta, Spec: &t.Spec, Path: bare, metaPath: "metadata"}
	}
	return inTemplate(t, &templatePaths{spec: path + ".spec", meta: path + ".metadata", id: -1})
}

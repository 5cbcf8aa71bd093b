// Package podspec finds the pod template inside every workload kind and walks its
// containers and volumes with their field paths, so that a pod rule is only its condition.
package podspec

import (
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/moat-dev/moat/internal/inventory"
)

// Pod is the pod template of a workload: its metadata, its spec and the field path of
// the spec within the object ("spec.template.spec" for a Deployment).
type Pod struct {
	Meta *metav1.ObjectMeta
	Spec *corev1.PodSpec
	Path string
	// metaPath is the field path of Meta; empty: derived from Path (see MetaPath).
	metaPath string
	// paths, when not nil, holds the paths of the first containers and volumes if
	// Path is still its spec (see partPath).
	paths *templatePaths
}

// Kinds are the names of the workload kinds that carry a pod spec, for rules' metadata
// (documentation, admission metrics) and the kinds a live scan lists. A name says
// nothing of the group: whether an object of that name is a workload is Of's answer,
// which knows the groups (a Rollout of another group than argoproj.io is not one).
// Rollout and DeploymentConfig are here for BuiltinTemplates; Knative's Service is
// left out because its name would stand for the core Service, as are the kinds the
// config file names, which no list known at build time can hold.
var Kinds = []string{"Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController", "PodTemplate", "Rollout", "DeploymentConfig"}

// Of returns the pod template of a workload object, or false for other objects. The
// template of a kind outside the client-go scheme is the one Prepare decoded.
func Of(o *inventory.Object) (Pod, bool) {
	switch w := o.Obj.(type) {
	case *corev1.Pod:
		return Pod{Meta: &w.ObjectMeta, Spec: &w.Spec, Path: podPaths.spec, metaPath: podPaths.meta, paths: podPaths}, true
	case *appsv1.Deployment:
		return inTemplate(&w.Spec.Template, specTemplate), true
	case *appsv1.ReplicaSet:
		return inTemplate(&w.Spec.Template, specTemplate), true
	case *appsv1.StatefulSet:
		return inTemplate(&w.Spec.Template, specTemplate), true
	case *appsv1.DaemonSet:
		return inTemplate(&w.Spec.Template, specTemplate), true
	case *batchv1.Job:
		return inTemplate(&w.Spec.Template, specTemplate), true
	case *batchv1.CronJob:
		t := &w.Spec.JobTemplate.Spec.Template
		return inTemplate(t, cronJobTemplate), true
	case *corev1.ReplicationController:
		if w.Spec.Template == nil {
			return Pod{}, false
		}
		return inTemplate(w.Spec.Template, specTemplate), true
	case *corev1.PodTemplate:
		return inTemplate(&w.Template, podTemplateTemplate), true
	}
	if o.PodTemplate != nil {
		return templatePod(o.PodTemplate, o.PodTemplatePath), true
	}
	return Pod{}, false
}

// templatePaths are the field paths of a pod spec and its metadata, written out once
// for the kinds of the client-go scheme: Of runs for every rule on every object, and
// joining them there allocated. parts are the paths of the first containers and
// volumes of each list, for the same reason (see partPath); nil for other paths.
type templatePaths struct {
	spec, meta string
	parts      *[numLists][cachedParts]string
	// id is the index of these paths in knownTemplates; -1 for other paths.
	id int
}

// The lists of a pod spec that Containers and Volumes walk, as indices of templatePaths.parts.
const (
	initList = iota
	regularList
	ephemeralList
	volumeList
	numLists
)

// listNames are the field names of the lists, by index.
var listNames = [numLists]string{string(Init), string(Regular), string(Ephemeral), "volumes"}

// cachedParts is how many items of each list have their path written out in advance:
// more than nearly every pod has.
const cachedParts = 8

var (
	podPaths            = newTemplatePaths(0, "spec", "metadata")
	specTemplate        = newTemplatePaths(1, "spec.template.spec", "spec.template.metadata")
	cronJobTemplate     = newTemplatePaths(2, "spec.jobTemplate.spec.template.spec", "spec.jobTemplate.spec.template.metadata")
	podTemplateTemplate = newTemplatePaths(3, "template.spec", "template.metadata")

	knownTemplates = [...]*templatePaths{podPaths, specTemplate, cronJobTemplate, podTemplateTemplate}
)

func newTemplatePaths(id int, spec, meta string) *templatePaths {
	t := &templatePaths{spec: spec, meta: meta, parts: new([numLists][cachedParts]string), id: id}
	for l := range numLists {
		for i := range cachedParts {
			t.parts[l][i] = PartPath(spec, listNames[l], i, "")
		}
	}
	return t
}

// inTemplate is the Pod of a PodTemplateSpec.
func inTemplate(t *corev1.PodTemplateSpec, at *templatePaths) Pod {
	return Pod{Meta: &t.ObjectMeta, Spec: &t.Spec, Path: at.spec, metaPath: at.meta, paths: at}
}

// partPath is the field path of item i of a list of the pod spec:
// "spec.template.spec.containers[1]".
func (p Pod) partPath(list, i int) string {
	if p.cached(i) {
		return p.paths.parts[list][i]
	}
	return PartPath(p.Path, listNames[list], i, "")
}

// cached reports whether the paths of item i of p's lists were made in advance.
func (p Pod) cached(i int) bool {
	return p.paths != nil && p.paths.id >= 0 && i < cachedParts && p.paths.spec == p.Path
}

// PartPath is the field path of specPath.list[i], and of .field below it when field
// is not empty: "spec.template.spec.containers[1].securityContext.privileged".
func PartPath(specPath, list string, i int, field string) string {
	var b [128]byte
	p := append(b[:0], specPath...)
	p = append(p, '.')
	p = append(p, list...)
	p = append(p, '[')
	p = strconv.AppendInt(p, int64(i), 10)
	p = append(p, ']')
	if field != "" {
		p = append(p, '.')
		p = append(p, field...)
	}
	return string(p)
}

// MetaPath is the field path of the pod template's metadata ("spec.template.metadata").
func (p Pod) MetaPath() string {
	if p.metaPath != "" {
		return p.metaPath
	}
	if p.Path == "spec" {
		return "metadata"
	}
	return strings.TrimSuffix(p.Path, "spec") + "metadata"
}

// ContainerKind says which list a container is in.
type ContainerKind string

const (
	Init      ContainerKind = "initContainers"
	Regular   ContainerKind = "containers"
	Ephemeral ContainerKind = "ephemeralContainers"
)

// Container is one container of a pod with its field path.
type Container struct {
	*corev1.Container
	Kind ContainerKind
	// Path is e.g. "spec.template.spec.containers[1]".
	Path string
	// Ephemeral is set for ephemeral containers, whose fields live in EphemeralContainerCommon.
	Ephemeral *corev1.EphemeralContainer

	// at is where Path stands in the paths made in advance (Field.Of).
	at partAt
}

// partAt is an item of a list of a pod spec whose paths were made in advance: item
// index of list of the template whose paths are tpl. The zero value is none.
type partAt struct {
	tpl         *templatePaths
	list, index int
}

// at is the partAt of item i of a list of p, or none when p's paths were not made.
func (p Pod) at(list, i int) partAt {
	if !p.cached(i) {
		return partAt{}
	}
	return partAt{p.paths, list, i}
}

// Describe names the container as messages do: `container "app"` or `init container "setup"`.
func (c Container) Describe() string { return c.Sentence() }

// Sentence is Describe followed by words, made in one allocation where fmt.Sprintf
// makes several: ct.Sentence(" has no ", field) is `container "app" has no livenessProbe`.
// Rules write one for most findings.
func (c Container) Sentence(words ...string) string {
	var kind string
	switch c.Kind {
	case Init:
		kind = "init container "
	case Ephemeral:
		kind = "ephemeral container "
	default:
		kind = "container "
	}
	n := len(kind) + len(c.Name) + 2
	for _, w := range words {
		n += len(w)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(kind)
	writeQuoted(&b, c.Name)
	for _, w := range words {
		b.WriteString(w)
	}
	return b.String()
}

// writeQuoted writes s as %q (strconv.Quote) does. A name of printable ASCII, the usual
// case, needs no escape and is copied between quotes without a second buffer.
func writeQuoted(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			b.WriteString(strconv.Quote(s))
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

// Containers returns init, regular and ephemeral containers, in that order. A rule
// that only walks them ranges over AllContainers instead, which makes no list.
func (p Pod) Containers() []Container {
	out := make([]Container, 0, len(p.Spec.InitContainers)+len(p.Spec.Containers)+len(p.Spec.EphemeralContainers))
	for c := range p.AllContainers {
		out = append(out, c)
	}
	return out
}

// AllContainers yields init, regular and ephemeral containers, in that order, as
// Containers lists them: `for ct := range p.AllContainers`. It is a method of the
// shape of an iter.Seq rather than one that returns it so that the loop's body stays
// on the stack; only an ephemeral container, converted to a Container, is allocated.
func (p Pod) AllContainers(yield func(Container) bool) {
	for i := range p.Spec.InitContainers {
		if !yield(Container{&p.Spec.InitContainers[i], Init, p.partPath(initList, i), nil, p.at(initList, i)}) {
			return
		}
	}
	for i := range p.Spec.Containers {
		if !yield(Container{&p.Spec.Containers[i], Regular, p.partPath(regularList, i), nil, p.at(regularList, i)}) {
			return
		}
	}
	for i := range p.Spec.EphemeralContainers {
		e := &p.Spec.EphemeralContainers[i]
		c := corev1.Container(e.EphemeralContainerCommon)
		if !yield(Container{&c, Ephemeral, p.partPath(ephemeralList, i), e, p.at(ephemeralList, i)}) {
			return
		}
	}
}

// Volume is one pod volume with its field path.
type Volume struct {
	*corev1.Volume
	Path string

	at partAt // see Container.at
}

// Volumes returns the pod's volumes.
func (p Pod) Volumes() []Volume {
	out := make([]Volume, len(p.Spec.Volumes))
	for i := range p.Spec.Volumes {
		out[i] = Volume{&p.Spec.Volumes[i], p.partPath(volumeList, i), p.at(volumeList, i)}
	}
	return out
}

// Package podspec finds the pod template inside every workload kind and walks its
// containers and volumes with their field paths, so that a pod rule is only its condition.
package podspec

import (
	"fmt"
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
		return Pod{Meta: &w.ObjectMeta, Spec: &w.Spec, Path: "spec", metaPath: "metadata"}, true
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

// templatePaths are the field paths of a PodTemplateSpec's spec and metadata, written
// out once: Of runs for every rule on every object, and joining them there allocated.
type templatePaths struct{ spec, meta string }

var (
	specTemplate        = templatePaths{"spec.template.spec", "spec.template.metadata"}
	cronJobTemplate     = templatePaths{"spec.jobTemplate.spec.template.spec", "spec.jobTemplate.spec.template.metadata"}
	podTemplateTemplate = templatePaths{"template.spec", "template.metadata"}
)

// inTemplate is the Pod of a PodTemplateSpec.
func inTemplate(t *corev1.PodTemplateSpec, at templatePaths) Pod {
	return Pod{Meta: &t.ObjectMeta, Spec: &t.Spec, Path: at.spec, metaPath: at.meta}
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
}

// Describe names the container as messages do: `container "app"` or `init container "setup"`.
func (c Container) Describe() string {
	switch c.Kind {
	case Init:
		return fmt.Sprintf("init container %q", c.Name)
	case Ephemeral:
		return fmt.Sprintf("ephemeral container %q", c.Name)
	}
	return fmt.Sprintf("container %q", c.Name)
}

// Containers returns init, regular and ephemeral containers, in that order.
func (p Pod) Containers() []Container {
	var out []Container
	for i := range p.Spec.InitContainers {
		out = append(out, Container{&p.Spec.InitContainers[i], Init, fmt.Sprintf("%s.initContainers[%d]", p.Path, i), nil})
	}
	for i := range p.Spec.Containers {
		out = append(out, Container{&p.Spec.Containers[i], Regular, fmt.Sprintf("%s.containers[%d]", p.Path, i), nil})
	}
	for i := range p.Spec.EphemeralContainers {
		e := &p.Spec.EphemeralContainers[i]
		c := corev1.Container(e.EphemeralContainerCommon)
		out = append(out, Container{&c, Ephemeral, fmt.Sprintf("%s.ephemeralContainers[%d]", p.Path, i), e})
	}
	return out
}

// Volume is one pod volume with its field path.
type Volume struct {
	*corev1.Volume
	Path string
}

// Volumes returns the pod's volumes.
func (p Pod) Volumes() []Volume {
	out := make([]Volume, len(p.Spec.Volumes))
	for i := range p.Spec.Volumes {
		out[i] = Volume{&p.Spec.Volumes[i], fmt.Sprintf("%s.volumes[%d]", p.Path, i)}
	}
	return out
}

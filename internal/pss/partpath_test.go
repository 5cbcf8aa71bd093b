package pss

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/policy"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
)

// PartPath words a part's path as podspec's walks do.
func TestPartPathMatchesPodspec(t *testing.T) {
	spec := &corev1.PodSpec{
		InitContainers:      make([]corev1.Container, 2),
		Containers:          make([]corev1.Container, 12),
		EphemeralContainers: make([]corev1.EphemeralContainer, 1),
		Volumes:             make([]corev1.Volume, 3),
	}
	pod := podspec.Pod{Spec: spec, Path: "spec.template.spec"}
	var got []string
	for i := range spec.InitContainers {
		got = append(got, podspec.PartPath(pod.Path, "initContainers", i, ""))
	}
	for i := range spec.Containers {
		got = append(got, podspec.PartPath(pod.Path, "containers", i, ""))
	}
	for i := range spec.EphemeralContainers {
		got = append(got, podspec.PartPath(pod.Path, "ephemeralContainers", i, ""))
	}
	cs := pod.Containers()
	if len(cs) != len(got) {
		t.Fatalf("%d containers, %d paths", len(cs), len(got))
	}
	for i, c := range cs {
		if got[i] != c.Path {
			t.Errorf("container %d: %q, want %q", i, got[i], c.Path)
		}
	}
	for i, v := range pod.Volumes() {
		if p := podspec.PartPath(pod.Path, "volumes", i, "hostPath"); p != v.Path+".hostPath" {
			t.Errorf("volume %d: %q, want %q", i, p, v.Path+".hostPath")
		}
	}
}

// forbiddenDetail words one result exactly as the library's aggregate of it does.
func TestForbiddenDetailMatchesLibrary(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    policy.CheckResult
	}{
		{"reason and detail", policy.CheckResult{ForbiddenReason: "privileged", ForbiddenDetail: `container "app" must not set securityContext.privileged=true`}},
		{"reason alone", policy.CheckResult{ForbiddenReason: "host namespaces"}},
		{"detail without a reason", policy.CheckResult{ForbiddenDetail: "hostNetwork=true"}},
		{"neither", policy.CheckResult{}},
		{"allowed", policy.CheckResult{Allowed: true, ForbiddenReason: "ignored"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			agg := policy.AggregateCheckResults([]policy.CheckResult{tc.r})
			if got, want := forbiddenDetail(tc.r), agg.ForbiddenDetail(); got != want {
				t.Errorf("forbiddenDetail = %q, want the library's %q", got, want)
			}
		})
	}
}

// The paths register makes in advance are the ones partPath joins.
func TestPartPathOfMatchesPartPath(t *testing.T) {
	spec := corev1.PodSpec{
		InitContainers:      make([]corev1.Container, 10),
		Containers:          make([]corev1.Container, 10),
		EphemeralContainers: make([]corev1.EphemeralContainer, 10),
		Volumes:             make([]corev1.Volume, 10),
	}
	objects := map[string]*inventory.Object{
		"Pod":        {Obj: &corev1.Pod{Spec: spec}},
		"Deployment": {Obj: &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}},
		"custom":     {PodTemplate: &corev1.PodTemplateSpec{Spec: spec}, PodTemplatePath: "spec.runner.template"},
	}
	for _, field := range []string{"securityContext.privileged", ""} {
		paths := podspec.NewField(field)
		for kind, o := range objects {
			pod, _ := podspec.Of(o)
			for _, list := range []string{"initContainers", "containers", "ephemeralContainers", "volumes"} {
				for i := range 10 {
					if got, want := partPathOf(paths, pod, list, i, field), podspec.PartPath(pod.Path, list, i, field); got != want {
						t.Errorf("%s %s[%d] %q: %q, want %q", kind, list, i, field, got, want)
					}
				}
			}
		}
	}
}

package pss

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/podspec"
)

// partPath words a part's path as podspec does.
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
		got = append(got, partPath(pod.Path, "initContainers", i, ""))
	}
	for i := range spec.Containers {
		got = append(got, partPath(pod.Path, "containers", i, ""))
	}
	for i := range spec.EphemeralContainers {
		got = append(got, partPath(pod.Path, "ephemeralContainers", i, ""))
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
		if p := partPath(pod.Path, "volumes", i, "hostPath"); p != v.Path+".hostPath" {
			t.Errorf("volume %d: %q, want %q", i, p, v.Path+".hostPath")
		}
	}
}

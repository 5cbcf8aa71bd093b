package inventory

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestObjectsDefinedTwice: every definition is in Objects, for rules that check one
// object at a time; the indexes hold the last in load order, for analyses across
// objects; one warning names them all.
func TestObjectsDefinedTwice(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		opt   Options
		// objects is describe() of every object, in load order.
		objects []string
		// indexed is describe() of what Find(Pod, namespace, name) returns.
		namespace, pod, indexed string
		warnings                []string
		// podsIn is how many Pods InNamespace(namespace) holds.
		podsIn int
	}{
		{
			name:  "two install variants in one tree",
			paths: []string{"testdata/duplicates/install-a.yaml", "testdata/duplicates/install-b.yaml"},
			objects: []string{
				"v1 Pod ops/agent @ testdata/duplicates/install-a.yaml:1",
				"v1 Pod ops/job-* @ testdata/duplicates/install-a.yaml:14",
				"v1 Pod ops/agent @ testdata/duplicates/install-b.yaml:1",
				"v1 Pod ops/job-* @ testdata/duplicates/install-b.yaml:12",
			},
			namespace: "ops", pod: "agent",
			indexed:  "v1 Pod ops/agent @ testdata/duplicates/install-b.yaml:1",
			warnings: []string{"Pod ops/agent is defined more than once: testdata/duplicates/install-a.yaml:2 (first), testdata/duplicates/install-b.yaml:1; analyses across objects use testdata/duplicates/install-b.yaml:1"},
			podsIn:   3, // agent once, and both pods named by generateName: no duplicates
		},
		{
			name:  "the same files the other way round: the last one read wins",
			paths: []string{"testdata/duplicates/install-b.yaml", "testdata/duplicates/install-a.yaml"},
			objects: []string{
				"v1 Pod ops/agent @ testdata/duplicates/install-b.yaml:1",
				"v1 Pod ops/job-* @ testdata/duplicates/install-b.yaml:12",
				"v1 Pod ops/agent @ testdata/duplicates/install-a.yaml:1",
				"v1 Pod ops/job-* @ testdata/duplicates/install-a.yaml:14",
			},
			namespace: "ops", pod: "agent",
			indexed:  "v1 Pod ops/agent @ testdata/duplicates/install-a.yaml:1",
			warnings: []string{"Pod ops/agent is defined more than once: testdata/duplicates/install-b.yaml:1 (first), testdata/duplicates/install-a.yaml:2; analyses across objects use testdata/duplicates/install-a.yaml:2"},
			podsIn:   3,
		},
		{
			name:  "two overlays of one base, each with its own source",
			paths: []string{"testdata/duplicates/overlays"},
			objects: []string{
				"v1 Pod p @ testdata/duplicates/base/pod.yaml:1 (kustomize:testdata/duplicates/overlays/a)",
				"v1 Pod p @ testdata/duplicates/base/pod.yaml:1 (kustomize:testdata/duplicates/overlays/b)",
			},
			namespace: "default", pod: "p",
			indexed:  "v1 Pod p @ testdata/duplicates/base/pod.yaml:1 (kustomize:testdata/duplicates/overlays/b)",
			warnings: []string{"Pod default/p is defined more than once: testdata/duplicates/base/pod.yaml:1 (kustomize:testdata/duplicates/overlays/a) (first), testdata/duplicates/base/pod.yaml:1 (kustomize:testdata/duplicates/overlays/b); analyses across objects use testdata/duplicates/base/pod.yaml:1 (kustomize:testdata/duplicates/overlays/b)"},
			podsIn:   1,
		},
		{
			name:  "-n makes an object written without a namespace the same as one written with it",
			paths: []string{"testdata/duplicates/base/pod.yaml", "testdata/duplicates/ops-p.yaml"},
			opt:   Options{Namespace: "ops"},
			objects: []string{
				"v1 Pod ops/p @ testdata/duplicates/base/pod.yaml:1",
				"v1 Pod ops/p @ testdata/duplicates/ops-p.yaml:1",
			},
			namespace: "ops", pod: "p",
			indexed:  "v1 Pod ops/p @ testdata/duplicates/ops-p.yaml:1",
			warnings: []string{"Pod ops/p is defined more than once: testdata/duplicates/base/pod.yaml:1 (first), testdata/duplicates/ops-p.yaml:1; analyses across objects use testdata/duplicates/ops-p.yaml:1"},
			podsIn:   1,
		},
		{
			name:      "one definition: no warning",
			paths:     []string{"testdata/duplicates/install-a.yaml"},
			objects:   []string{"v1 Pod ops/agent @ testdata/duplicates/install-a.yaml:1", "v1 Pod ops/job-* @ testdata/duplicates/install-a.yaml:14"},
			namespace: "ops", pod: "agent",
			indexed: "v1 Pod ops/agent @ testdata/duplicates/install-a.yaml:1",
			podsIn:  2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := Load(tt.paths, tt.opt)
			if len(inv.Errors) > 0 {
				t.Fatal(inv.Errors)
			}
			if got := describeAll(inv.Objects); !slices.Equal(got, tt.objects) {
				t.Errorf("objects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.objects, "\n"))
			}
			if !slices.Equal(inv.Warnings, tt.warnings) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(inv.Warnings, "\n"), strings.Join(tt.warnings, "\n"))
			}
			o := inv.Find("Pod", tt.namespace, tt.pod)
			if o == nil || describe(o) != tt.indexed {
				t.Fatalf("Find = %v, want %s", o, tt.indexed)
			}
			for name, got := range map[string][]*Object{"Kind": inv.Kind("Pod"), "InNamespace": inv.InNamespace(tt.namespace)} {
				if len(got) != tt.podsIn || !slices.Contains(got, o) {
					t.Errorf("%s: %v, want %d pods, among them %s", name, describeAll(got), tt.podsIn, tt.indexed)
				}
			}
		})
	}
}

// TestTheOverlaysOfADuplicateAreEachChecked: what makes two definitions differ is
// kept on each, so that per-object rules see both.
func TestTheOverlaysOfADuplicateAreEachChecked(t *testing.T) {
	inv := Load([]string{"testdata/duplicates/overlays"}, Options{})
	if len(inv.Objects) != 2 {
		t.Fatalf("objects %v", describeAll(inv.Objects))
	}
	a, b := inv.Objects[0].Obj.(*corev1.Pod), inv.Objects[1].Obj.(*corev1.Pod)
	if !a.Spec.HostPID || a.Spec.HostIPC || !b.Spec.HostIPC || b.Spec.HostPID {
		t.Errorf("overlay a: hostPID %v hostIPC %v; overlay b: hostPID %v hostIPC %v", a.Spec.HostPID, a.Spec.HostIPC, b.Spec.HostPID, b.Spec.HostIPC)
	}
}

// TestReindexKeepsTheLastDefinition: building the indexes again from Objects gives
// the indexes Add built.
func TestReindexKeepsTheLastDefinition(t *testing.T) {
	inv := Load([]string{"testdata/duplicates/install-a.yaml", "testdata/duplicates/install-b.yaml"}, Options{})
	kind, ns, warnings := inv.Kind("Pod"), inv.InNamespace("ops"), inv.duplicateWarnings()
	inv.reindex()
	if !slices.Equal(inv.Kind("Pod"), kind) || !slices.Equal(inv.InNamespace("ops"), ns) || !slices.Equal(inv.duplicateWarnings(), warnings) {
		t.Errorf("after reindex: kind %v ns %v warnings %q", describeAll(inv.Kind("Pod")), describeAll(inv.InNamespace("ops")), inv.duplicateWarnings())
	}
}

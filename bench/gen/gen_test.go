package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/moat-dev/moat/internal/inventory"
)

func generate(t *testing.T, n int, seed uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Generate(&b, n, seed); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSameSeedSameBytes(t *testing.T) {
	a, b := generate(t, 600, 7), generate(t, 600, 7)
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with seed 7 differ")
	}
	if c := generate(t, 600, 8); bytes.Equal(a, c) {
		t.Fatal("seeds 7 and 8 give the same cluster")
	}
}

func TestZeroObjectsIsEmpty(t *testing.T) {
	if out := generate(t, 0, 1); len(out) != 0 {
		t.Fatalf("n=0 wrote %d bytes", len(out))
	}
}

// decodeAll strictly decodes every document as a real API server would read it:
// unknown or duplicate fields and wrong types are errors.
func decodeAll(t *testing.T, data []byte) []runtime.Object {
	t.Helper()
	codecs := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict)
	dec := codecs.UniversalDeserializer()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []runtime.Object
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		o, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("document %d: %v\n%s", len(objs)+1, err, doc)
		}
		objs = append(objs, o)
	}
	return objs
}

func TestObjectsAreValidKubernetes(t *testing.T) {
	const n = 2000
	objs := decodeAll(t, generate(t, n, 1))
	if len(objs) != n {
		t.Fatalf("got %d objects, want %d", len(objs), n)
	}
	tc := applyconfigurations.NewTypeConverter(scheme.Scheme)
	type podOf struct {
		ns     string
		labels map[string]string
	}
	var pods []podOf
	seen := map[string]bool{}
	for _, o := range objs {
		if _, err := tc.ObjectToTyped(o); err != nil {
			t.Errorf("%T: schema: %v", o, err)
		}
		m := o.(metav1.Object)
		key := o.GetObjectKind().GroupVersionKind().Kind + "/" + m.GetNamespace() + "/" + m.GetName()
		if seen[key] {
			t.Errorf("duplicate %s", key)
		}
		seen[key] = true
		if errs := validation.IsDNS1123Subdomain(strings.ReplaceAll(m.GetName(), ":", "-")); len(errs) > 0 {
			t.Errorf("%s: name: %v", key, errs)
		}
		var sel *metav1.LabelSelector
		var tmpl *corev1.PodTemplateSpec
		switch w := o.(type) {
		case *appsv1.Deployment:
			sel, tmpl = w.Spec.Selector, &w.Spec.Template
		case *appsv1.StatefulSet:
			sel, tmpl = w.Spec.Selector, &w.Spec.Template
			for _, c := range w.Spec.Template.Spec.Containers {
				for _, vm := range c.VolumeMounts {
					if !hasVolume(w.Spec.Template.Spec, vm.Name) && (len(w.Spec.VolumeClaimTemplates) == 0 || w.Spec.VolumeClaimTemplates[0].Name != vm.Name) {
						t.Errorf("%s: mount %s has no volume", key, vm.Name)
					}
				}
			}
		case *appsv1.DaemonSet:
			sel, tmpl = w.Spec.Selector, &w.Spec.Template
		case *batchv1.CronJob:
			tmpl = &w.Spec.JobTemplate.Spec.Template
		case *batchv1.Job:
			tmpl = &w.Spec.Template
		}
		if tmpl == nil {
			continue
		}
		if sel != nil {
			s, err := metav1.LabelSelectorAsSelector(sel)
			if err != nil || s.Empty() || !s.Matches(labels.Set(tmpl.Labels)) {
				t.Errorf("%s: selector %v does not match template labels %v", key, sel, tmpl.Labels)
			}
		}
		if _, ok := o.(*appsv1.StatefulSet); !ok {
			for _, c := range append(tmpl.Spec.InitContainers, tmpl.Spec.Containers...) {
				for _, vm := range c.VolumeMounts {
					if !hasVolume(tmpl.Spec, vm.Name) {
						t.Errorf("%s: container %s mounts undefined volume %s", key, c.Name, vm.Name)
					}
				}
			}
		}
		pods = append(pods, podOf{m.GetNamespace(), tmpl.Labels})
	}
	for _, o := range objs {
		svc, ok := o.(*corev1.Service)
		if !ok {
			continue
		}
		matched := false
		for _, p := range pods {
			if p.ns == svc.Namespace && labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(p.labels)) {
				matched = true
				break
			}
		}
		if !matched {
			t.Errorf("Service %s/%s selects no pod", svc.Namespace, svc.Name)
		}
	}
}

func hasVolume(spec corev1.PodSpec, name string) bool {
	for _, v := range spec.Volumes {
		if v.Name == name {
			return true
		}
	}
	return false
}

// TestMixLooksLikeACluster checks the kinds a benchmark relies on are all there,
// in a plausible order of abundance, with both insecure and hardened settings.
func TestMixLooksLikeACluster(t *testing.T) {
	objs := decodeAll(t, generate(t, 3000, 3))
	kinds := map[string]int{}
	var privileged, latest, hostPath, digest, readOnlyRoot int
	for _, o := range objs {
		kinds[o.GetObjectKind().GroupVersionKind().Kind]++
		var spec *corev1.PodSpec
		switch w := o.(type) {
		case *appsv1.Deployment:
			spec = &w.Spec.Template.Spec
		case *appsv1.StatefulSet:
			spec = &w.Spec.Template.Spec
		case *appsv1.DaemonSet:
			spec = &w.Spec.Template.Spec
		}
		if spec == nil {
			continue
		}
		for _, v := range spec.Volumes {
			if v.HostPath != nil {
				hostPath++
			}
		}
		for _, c := range spec.Containers {
			sc := c.SecurityContext
			if sc != nil && sc.Privileged != nil && *sc.Privileged {
				privileged++
			}
			if sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
				readOnlyRoot++
			}
			if strings.HasSuffix(c.Image, ":latest") {
				latest++
			}
			if strings.Contains(c.Image, "@sha256:") {
				digest++
			}
		}
	}
	for _, k := range []string{"Namespace", "Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "Service", "Ingress",
		"ConfigMap", "Secret", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "NetworkPolicy"} {
		if kinds[k] == 0 {
			t.Errorf("no %s in 3000 objects", k)
		}
	}
	if kinds["Deployment"] <= kinds["StatefulSet"] || kinds["StatefulSet"] <= kinds["DaemonSet"] || kinds["ConfigMap"] <= kinds["Namespace"] {
		t.Errorf("implausible mix: %v", kinds)
	}
	for what, n := range map[string]int{"privileged containers": privileged, "latest tags": latest, "hostPath volumes": hostPath,
		"digest-pinned images": digest, "read-only root filesystems": readOnlyRoot} {
		if n == 0 {
			t.Errorf("no %s in 3000 objects", what)
		}
	}
}

// TestMoatReadsEverything feeds the stream to Moat's own decoder: the benchmark
// must measure scanning, not error handling.
func TestMoatReadsEverything(t *testing.T) {
	const n = 2000
	objs, errs := inventory.Decode(bytes.NewReader(generate(t, n, 5)), "cluster.yaml")
	for _, err := range errs {
		t.Error(err)
	}
	if len(objs) != n {
		t.Fatalf("inventory.Decode read %d objects, want %d", len(objs), n)
	}
}

package podspec

import (
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/inventory"
)

// spec is a pod spec with n containers in each list and n volumes.
func spec(n int) corev1.PodSpec {
	var s corev1.PodSpec
	for i := range n {
		s.InitContainers = append(s.InitContainers, corev1.Container{Name: fmt.Sprintf("init%d", i)})
		s.Containers = append(s.Containers, corev1.Container{Name: fmt.Sprintf("app%d", i)})
		s.EphemeralContainers = append(s.EphemeralContainers, corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: fmt.Sprintf("debug%d", i)}})
		s.Volumes = append(s.Volumes, corev1.Volume{Name: fmt.Sprintf("vol%d", i)})
	}
	return s
}

// wantPaths are the paths of every container and volume of spec(n) at specPath, as
// the format strings podspec once used word them.
func wantPaths(specPath string, n int) (containers, volumes []string) {
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		for i := range n {
			containers = append(containers, fmt.Sprintf("%s.%s[%d]", specPath, list, i))
		}
	}
	for i := range n {
		volumes = append(volumes, fmt.Sprintf("%s.volumes[%d]", specPath, i))
	}
	return containers, volumes
}

// Containers, AllContainers and Volumes give every part with its path, past the paths
// written out in advance too, for every kind of spec path.
func TestPartPaths(t *testing.T) {
	const n = cachedParts + 3
	s := spec(n)
	custom := &inventory.Object{PodTemplate: &corev1.PodTemplateSpec{Spec: s}, PodTemplatePath: "spec.workload.template"}
	for _, tc := range []struct {
		name     string
		obj      *inventory.Object
		specPath string
	}{
		{"Pod", &inventory.Object{Obj: &corev1.Pod{Spec: s}}, "spec"},
		{"Deployment", &inventory.Object{Obj: &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: s}}}}, "spec.template.spec"},
		{"CronJob", &inventory.Object{Obj: &batchv1.CronJob{Spec: batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{
			Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: s}}}}}}, "spec.jobTemplate.spec.template.spec"},
		{"PodTemplate", &inventory.Object{Obj: &corev1.PodTemplate{Template: corev1.PodTemplateSpec{Spec: s}}}, "template.spec"},
		{"kind outside the scheme", custom, "spec.workload.template.spec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := Of(tc.obj)
			if !ok {
				t.Fatal("no pod template")
			}
			if p.Path != tc.specPath {
				t.Fatalf("Path = %q, want %q", p.Path, tc.specPath)
			}
			wantC, wantV := wantPaths(tc.specPath, n)
			var walked []string
			for ct := range p.AllContainers {
				walked = append(walked, ct.Path)
			}
			var listed []string
			for _, ct := range p.Containers() {
				listed = append(listed, ct.Path)
			}
			var vols []string
			for _, v := range p.Volumes() {
				vols = append(vols, v.Path)
			}
			for _, got := range []struct {
				what      string
				got, want []string
			}{{"AllContainers", walked, wantC}, {"Containers", listed, wantC}, {"Volumes", vols, wantV}} {
				if strings.Join(got.got, " ") != strings.Join(got.want, " ") {
					t.Errorf("%s:\n got %q\nwant %q", got.what, got.got, got.want)
				}
			}
		})
	}
}

// A path changed after Of is the one parts are under: the paths written in advance
// are for the spec path Of gave.
func TestPartPathsFollowAChangedPath(t *testing.T) {
	s := spec(1)
	p, _ := Of(&inventory.Object{Obj: &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: s}}}})
	p.Path = "elsewhere.spec"
	if got := p.Containers()[0].Path; got != "elsewhere.spec.initContainers[0]" {
		t.Errorf("path = %q", got)
	}
}

// AllContainers stops when the loop does.
func TestAllContainersStops(t *testing.T) {
	s := spec(3)
	p, _ := Of(&inventory.Object{Obj: &corev1.Pod{Spec: s}})
	var names []string
	for ct := range p.AllContainers {
		names = append(names, ct.Name)
		if ct.Name == "app1" {
			break
		}
	}
	if got := strings.Join(names, " "); got != "init0 init1 init2 app0 app1" {
		t.Errorf("walked %s", got)
	}
}

// Walking the containers of a workload allocates nothing: rules do it for every object.
func TestAllContainersAllocatesNothing(t *testing.T) {
	s := spec(3)
	s.EphemeralContainers = nil // each is converted to a Container, which is allocated
	p, _ := Of(&inventory.Object{Obj: &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: s}}}})
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		for ct := range p.AllContainers {
			n += len(ct.Path)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations a walk", allocs)
	}
}

// Describe and Sentence word a container as the format `%s %q` does.
func TestSentence(t *testing.T) {
	for _, tc := range []struct {
		name  string
		kind  ContainerKind
		cname string
		words []string
		want  string
	}{
		{"container", Regular, "app", nil, `container "app"`},
		{"init container", Init, "setup", []string{" has no ", "livenessProbe"}, `init container "setup" has no livenessProbe`},
		{"ephemeral container", Ephemeral, "debug", []string{" runs"}, `ephemeral container "debug" runs`},
		{"empty name", Regular, "", nil, `container ""`},
		{"quote in the name", Regular, `a"b`, nil, `container "a\"b"`},
		{"backslash in the name", Regular, `a\b`, nil, `container "a\\b"`},
		{"control character in the name", Init, "a\tb\x00", nil, `init container "a\tb\x00"`},
		{"non-ASCII name", Regular, "café", []string{"!"}, `container "café"!`},
		{"invalid UTF-8 name", Regular, "a\xffb", nil, `container "a\xffb"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Container{Container: &corev1.Container{Name: tc.cname}, Kind: tc.kind}
			if got := c.Sentence(tc.words...); got != tc.want {
				t.Errorf("Sentence = %s, want %s", got, tc.want)
			}
			kind := map[ContainerKind]string{Regular: "container", Init: "init container", Ephemeral: "ephemeral container"}[tc.kind]
			if got, want := c.Describe(), fmt.Sprintf("%s %q", kind, tc.cname); got != want {
				t.Errorf("Describe = %s, want %s", got, want)
			}
		})
	}
}

// A Field's path is the part's path and the field below it, for every kind of spec
// path, past the paths made in advance, and through Of, OfVolume and Part alike.
func TestFieldPaths(t *testing.T) {
	const n = cachedParts + 2
	s := spec(n)
	objects := map[string]*inventory.Object{
		"Pod":        {Obj: &corev1.Pod{Spec: s}},
		"Deployment": {Obj: &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: s}}}},
		"CronJob": {Obj: &batchv1.CronJob{Spec: batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{
			Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: s}}}}}},
		"kind outside the scheme": {PodTemplate: &corev1.PodTemplateSpec{Spec: s}, PodTemplatePath: "spec.workload.template"},
	}
	for _, name := range []string{"securityContext.privileged", ""} {
		f := NewField(name)
		suffix := ""
		if name != "" {
			suffix = "." + name
		}
		for kind, o := range objects {
			t.Run(kind+"/"+name, func(t *testing.T) {
				p, _ := Of(o)
				lists := map[ContainerKind]string{Init: "initContainers", Regular: "containers", Ephemeral: "ephemeralContainers"}
				count := map[ContainerKind]int{}
				for ct := range p.AllContainers {
					i := count[ct.Kind]
					count[ct.Kind]++
					want := ct.Path + suffix
					if got := f.Of(ct); got != want {
						t.Errorf("Of = %q, want %q", got, want)
					}
					if got := f.Part(p, lists[ct.Kind], i); got != want {
						t.Errorf("Part(%s, %d) = %q, want %q", lists[ct.Kind], i, got, want)
					}
				}
				for i, v := range p.Volumes() {
					want := fmt.Sprintf("%s.volumes[%d]%s", p.Path, i, suffix)
					if got := f.OfVolume(v); got != want {
						t.Errorf("OfVolume = %q, want %q", got, want)
					}
					if got := f.Part(p, "volumes", i); got != want {
						t.Errorf("Part(volumes, %d) = %q, want %q", i, got, want)
					}
				}
			})
		}
	}
}

// The paths of a Field are made once: asking for one allocates nothing.
func TestFieldPathsAreShared(t *testing.T) {
	s := spec(2)
	p, _ := Of(&inventory.Object{Obj: &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: s}}}})
	f := NewField("image")
	cts := p.Containers()
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		n += len(f.Of(cts[1])) + len(f.Part(p, "containers", 1))
	})
	if allocs != 0 {
		t.Errorf("%v allocations for two paths", allocs)
	}
}

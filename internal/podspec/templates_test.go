package podspec_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
)

// configPaths are what a config file's podTemplatePaths give for testdata/custom.yaml.
var configPaths = []podspec.TemplatePath{
	{Group: "example.com", Version: "v1", Kind: "Runner", Path: "spec.runner.template"},
	{Group: "example.com", Kind: "Sandbox", Path: "spec.podSpec", PodSpec: true},
}

// wantPod is what Of must say of one object after Prepare.
type wantPod struct {
	name       string
	workload   bool
	path, meta string   // Pod.Path and MetaPath()
	containers []string // each container's path and name
	volumes    []string // each volume's path and host path
	labels     map[string]string
}

func TestPrepareFindsTemplates(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		paths []podspec.TemplatePath
		want  []wantPod
	}{
		{
			name: "Argo Rollout",
			file: "rollout.yaml",
			want: []wantPod{{
				name: "checkout", workload: true, path: "spec.template.spec", meta: "spec.template.metadata",
				containers: []string{"spec.template.spec.initContainers[0] migrate", "spec.template.spec.containers[0] app"},
				volumes:    []string{"spec.template.spec.volumes[0] /var/run"},
				labels:     map[string]string{"app": "checkout"},
			}},
		},
		{
			name: "OpenShift DeploymentConfig",
			file: "deploymentconfig.yaml",
			want: []wantPod{{
				name: "ledger", workload: true, path: "spec.template.spec", meta: "spec.template.metadata",
				containers: []string{"spec.template.spec.containers[0] ledger"},
				volumes:    []string{"spec.template.spec.volumes[0] /var/log/ledger"},
				labels:     map[string]string{"app": "ledger"},
			}},
		},
		{
			name: "Knative Service, whose RevisionSpec has fields a PodSpec has not",
			file: "knative-service.yaml",
			want: []wantPod{{
				name: "hello", workload: true, path: "spec.template.spec", meta: "spec.template.metadata",
				containers: []string{"spec.template.spec.containers[0] "},
			}},
		},
		{
			name: "Rollout with a workloadRef has no template",
			file: "workloadref.yaml",
			want: []wantPod{{name: "frontend"}},
		},
		{
			name: "kinds of the same names in other groups are not workloads",
			file: "other-group.yaml",
			want: []wantPod{{name: "not-argo"}, {name: "not-openshift"}},
		},
		{
			name:  "custom resources the config names, a template and a bare PodSpec",
			file:  "custom.yaml",
			paths: configPaths,
			want: []wantPod{
				{
					name: "builder", workload: true, path: "spec.runner.template.spec", meta: "spec.runner.template.metadata",
					containers: []string{"spec.runner.template.spec.containers[0] build"},
					volumes:    []string{"spec.runner.template.spec.volumes[0] /var/run/docker.sock"},
					labels:     map[string]string{"app": "builder"},
				},
				{
					name: "notebook", workload: true, path: "spec.podSpec", meta: "metadata",
					containers: []string{"spec.podSpec.containers[0] kernel"},
					volumes:    []string{"spec.podSpec.volumes[0] /"},
				},
				{name: "future"}, // v2: the config names v1 only
			},
		},
		{
			name: "custom resources without the config are not workloads",
			file: "custom.yaml",
			want: []wantPod{{name: "builder"}, {name: "notebook"}, {name: "future"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := load(t, tt.file)
			if errs := podspec.Prepare(objs, tt.paths); len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if len(objs) != len(tt.want) {
				t.Fatalf("%d objects, want %d", len(objs), len(tt.want))
			}
			for i, w := range tt.want {
				checkPod(t, objs[i], w)
			}
		})
	}
}

func checkPod(t *testing.T, o *inventory.Object, w wantPod) {
	t.Helper()
	if o.Name() != w.name {
		t.Fatalf("object %q, want %q", o.Name(), w.name)
	}
	p, ok := podspec.Of(o)
	if ok != w.workload {
		t.Fatalf("%s: Of says workload = %v, want %v", w.name, ok, w.workload)
	}
	if !ok {
		return
	}
	if p.Path != w.path || p.MetaPath() != w.meta {
		t.Errorf("%s: paths %q and %q, want %q and %q", w.name, p.Path, p.MetaPath(), w.path, w.meta)
	}
	var cs, vs []string
	for _, c := range p.Containers() {
		cs = append(cs, c.Path+" "+c.Name)
	}
	for _, v := range p.Volumes() {
		host := ""
		if v.HostPath != nil {
			host = v.HostPath.Path
		}
		vs = append(vs, v.Path+" "+host)
	}
	if !slices.Equal(cs, w.containers) || !slices.Equal(vs, w.volumes) {
		t.Errorf("%s: containers %q volumes %q, want %q and %q", w.name, cs, vs, w.containers, w.volumes)
	}
	if w.labels != nil && !equalMaps(p.Meta.Labels, w.labels) {
		t.Errorf("%s: pod labels %v, want %v", w.name, p.Meta.Labels, w.labels)
	}
}

// Templates that cannot be decoded are errors naming the object, the file and line and
// the field; the objects get no template and nothing panics.
func TestPrepareMalformedTemplates(t *testing.T) {
	objs := load(t, "malformed.yaml")
	errs := podspec.Prepare(objs, configPaths)
	want := []string{
		"testdata/malformed.yaml:11: argoproj.io/v1alpha1 Rollout/shop/broken: spec.template.spec.containers: cannot read the pod template, so no pod rule checked it: want []v1.Container, not a string",
		"testdata/malformed.yaml:19: apps.openshift.io/v1 DeploymentConfig/shop/listed: spec.template: cannot read the pod template, so no pod rule checked it: want a mapping (a PodTemplateSpec), not a list",
		"testdata/malformed.yaml:28: example.com/v1 Runner/ci/scalar-runner: spec.runner.template: cannot read the pod template, so no pod rule checked it: spec.runner is the number 3, not a mapping",
		"testdata/malformed.yaml:42: example.com/v1 Sandbox/ci/named-port: spec.podSpec.containers[0].ports[0].containerPort: cannot read the pod template, so no pod rule checked it: want int32, not a string",
		"testdata/malformed.yaml:56: argoproj.io/v1alpha1 Rollout/shop/string-container: spec.template.spec.containers[1]: cannot read the pod template, so no pod rule checked it: want v1.Container, not a string",
	}
	if len(errs) != len(want) {
		t.Fatalf("errors %q, want %d", errs, len(want))
	}
	for i, w := range want {
		var te *podspec.TemplateError
		if !errors.As(errs[i], &te) || !strings.HasPrefix(errs[i].Error(), w) {
			t.Errorf("error %d = %q, want a *TemplateError starting %q", i, errs[i], w)
		}
	}
	for _, o := range objs {
		if _, ok := podspec.Of(o); ok || o.PodTemplate != nil {
			t.Errorf("%s: a malformed template was kept", o.Name())
		}
	}
}

// A second Prepare with other paths forgets what the first set.
func TestPrepareAgainReplacesTemplates(t *testing.T) {
	objs := load(t, "custom.yaml")
	podspec.Prepare(objs, configPaths)
	if _, ok := podspec.Of(objs[0]); !ok {
		t.Fatal("the config's path gave no template")
	}
	podspec.Prepare(objs, nil)
	if _, ok := podspec.Of(objs[0]); ok {
		t.Error("the template of an earlier Prepare is still there")
	}
}

// A config entry for a built-in kind replaces the built-in path.
func TestConfigPathReplacesBuiltin(t *testing.T) {
	objs := load(t, "rollout.yaml")
	podspec.Prepare(objs, []podspec.TemplatePath{{Group: "argoproj.io", Kind: "Rollout", Path: "spec.other"}})
	if _, ok := podspec.Of(objs[0]); ok {
		t.Error("the built-in path was used although the config names another")
	}
}

func load(t *testing.T, file string) []*inventory.Object {
	t.Helper()
	inv := inventory.Load([]string{filepath.ToSlash(filepath.Join("testdata", file))}, inventory.Options{})
	if len(inv.Errors) > 0 {
		t.Fatal(inv.Errors)
	}
	return inv.Objects
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

package inventory

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

func TestKustomizeOverlayMapsObjectsToTheirFiles(t *testing.T) {
	inv := Load([]string{"testdata/tree/deploy/overlays/prod"}, Options{})
	if len(inv.Errors) > 0 {
		t.Fatalf("errors: %v", inv.Errors)
	}
	const origin = " (kustomize:testdata/tree/deploy/overlays/prod)"
	want := []string{
		"apps/v1 Deployment shop-prod/prod-checkout @ testdata/tree/deploy/base/deployment.yaml:1" + origin,
		"v1 Service shop-prod/prod-checkout @ testdata/tree/deploy/base/service.yaml:1" + origin,
		"v1 ConfigMap shop-prod/prod-checkout-config-dfk4bdbtkk @ testdata/tree/deploy/overlays/prod/kustomization.yaml:14" + origin,
	}
	if got := describeAll(inv.Objects); !slices.Equal(got, want) {
		t.Fatalf("objects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	o := inv.Objects[0]
	d := o.Obj.(*appsv1.Deployment)
	if *d.Spec.Replicas != 3 || d.Spec.Template.Spec.Containers[0].ReadinessProbe == nil || d.Labels["env"] != "prod" {
		t.Errorf("overlay, patch and component not applied: %+v", d.Spec)
	}
	for _, o := range inv.Objects {
		if _, ok := o.Meta.GetAnnotations()[originAnnotation]; ok {
			t.Errorf("%s still carries the origin annotation Moat asked for", describe(o))
		}
	}
	// SourceAt reads the base file: fields written there resolve to their line, a field
	// only the overlay's patch sets to the nearest part written in the base.
	for path, line := range map[string]int{
		"spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation": 21,
		"spec.replicas": 8,
		"spec.template.spec.containers[0].readinessProbe": 18,
	} {
		if got := o.SourceAt(path); got.File != "testdata/tree/deploy/base/deployment.yaml" || got.Line != line {
			t.Errorf("SourceAt(%s) = %v, want testdata/tree/deploy/base/deployment.yaml:%d", path, got, line)
		}
	}
	// The service file opens with a comment; its fields count from the file's first line.
	if got := inv.Objects[1].SourceAt("spec.ports[0].targetPort").Line; got != 11 {
		t.Errorf("targetPort on line %d, want 11", got)
	}
}

func TestKustomizeKeepsOriginAnnotationsItAskedFor(t *testing.T) {
	inv := Load([]string{"testdata/kustomize/keeps-origin"}, Options{})
	if len(inv.Errors) > 0 || len(inv.Objects) != 1 {
		t.Fatalf("objects %v errors %v", describeAll(inv.Objects), inv.Errors)
	}
	o := inv.Objects[0]
	if got := o.Meta.GetAnnotations()[originAnnotation]; !strings.Contains(got, "path: sa.yaml") {
		t.Errorf("origin annotation %q, want the one the kustomization asked for", got)
	}
	if o.Source.String() != "testdata/kustomize/keeps-origin/sa.yaml:1" {
		t.Errorf("source %v", o.Source)
	}
}

func TestKustomizeBuildErrorNamesTheKustomization(t *testing.T) {
	inv := Load([]string{"testdata/kustomize/bad", "testdata/legacy.yaml"}, Options{})
	if len(inv.Errors) != 1 || !strings.HasPrefix(inv.Errors[0].Error(), "testdata/kustomize/bad/kustomization.yaml: kustomize build: ") {
		t.Errorf("errors %v", inv.Errors)
	}
	if len(inv.Objects) != 1 {
		t.Errorf("the other input was not loaded: %v", describeAll(inv.Objects))
	}
}

func TestWithOriginAnnotationsKeepsValuesAsWritten(t *testing.T) {
	in := "# keep\nlabels:\n- pairs:\n    version: 1.0\n    enabled: yes\nbuildMetadata: [managedByLabel]\n"
	out, added := withOriginAnnotations([]byte(in))
	if !added {
		t.Fatal("not added")
	}
	for _, want := range []string{"version: 1.0", "enabled: yes", "buildMetadata: [managedByLabel, originAnnotations]"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, added := withOriginAnnotations([]byte("buildMetadata: [originAnnotations]\n")); added {
		t.Error("added although the kustomization asked for them itself")
	}
}

func TestKustomizationRoots(t *testing.T) {
	root := t.TempDir()
	kust := func(dir, content string) string {
		mkdir(t, filepath.Join(root, dir))
		writeFile(t, filepath.Join(root, dir, "kustomization.yaml"), content)
		return filepath.Join(root, dir)
	}
	base := kust("base", "resources: [deployment.yaml]\n")
	legacyBase := kust("legacy-base", "resources: [cm.yaml]\n")
	prod := kust("overlays/prod", "resources:\n- ../../base\n- https://github.com/example/repo//deploy?ref=v1\ncomponents: [../../components/probes]\n")
	staging := kust("overlays/staging", "bases: [../../legacy-base/]\nresources: [./extra.yaml]\n")
	probes := kust("components/probes", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n")
	alone := kust("standalone", "resources: [a.yaml]\n")
	broken := kust("broken", "resources: [unclosed\n")

	tests := []struct {
		name string
		dirs []string
		want []string
	}{
		{"an overlay drops the base it uses", []string{base, prod}, []string{prod}},
		{"order does not matter", []string{prod, base}, []string{prod}},
		{"bases: entries count too, with a trailing slash", []string{legacyBase, staging}, []string{staging}},
		{"components are never built alone", []string{probes}, nil},
		{"a base nobody uses is built", []string{base, legacyBase, alone}, []string{base, legacyBase, alone}},
		{"two overlays of different bases are both built", []string{base, legacyBase, prod, staging, probes, alone}, []string{prod, staging, alone}},
		{"an unreadable kustomization is kept, for kustomize to report", []string{broken}, []string{broken}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kustomizationGraph(tt.dirs).roots; !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

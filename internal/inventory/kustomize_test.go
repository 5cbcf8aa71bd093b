package inventory

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
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

// objectNames is "Kind namespace/name" of every object, sorted.
func objectNames(inv *Inventory) []string {
	out := make([]string, 0, len(inv.Objects))
	for _, o := range inv.Objects {
		out = append(out, o.Kind()+" "+o.EffectiveNamespace()+"/"+o.Name())
	}
	slices.Sort(out)
	return out
}

// notScanned lists the paths the load reports as read and not scanned, whether as a
// Skipped entry or, before those existed, a warning.
func notScanned(inv *Inventory, reason string) []string {
	seen := map[string]bool{}
	for _, s := range inv.Skipped {
		if strings.Contains(s.Reason, reason) {
			seen[s.Path] = true
		}
	}
	for _, w := range inv.Warnings {
		if p, rest, ok := strings.Cut(w, ": "); ok && strings.Contains(rest, reason) {
			seen[p] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// A directory walk builds every kustomization that no other one of the walk uses:
// overlays nested under the kustomization of their base, overlays under a
// kustomization that does not name them, the outer overlay of a chain. What none
// uses is scanned as a plain manifest and named; Components nothing uses are named
// as not scanned; what cannot be built is an error naming the kustomization.
func TestKustomizeWalkBuildsEveryOverlayNothingElseUses(t *testing.T) {
	const unusedComponent = "a Kustomize Component, built only as part of an overlay, and no kustomization in the scan uses it"
	tests := []struct {
		name       string
		path       string
		want       []string // objectNames
		errHas     []string // substrings of the one error, if one is expected
		warnings   []string // substrings of each warning other than not-scanned Components
		components []string // Components reported as not scanned
		check      func(t *testing.T, inv *Inventory)
	}{
		{
			name:     "an overlay nested under the kustomization of its base is built too",
			path:     "testdata/kustomize/nested",
			want:     []string{"Pod shop/api", "Pod shop/debug", "Pod shop/prod-api"},
			warnings: []string{"testdata/kustomize/nested/app/overlays/prod: 1 file holds Kubernetes objects that no kustomization in the scan uses; scanned as plain manifests: examples/debug-pod.yaml"},
			check: func(t *testing.T, inv *Inventory) {
				for name, want := range map[string]bool{"prod-api": true, "api": false} {
					p := inv.Find("Pod", "shop", name).Obj.(*corev1.Pod)
					sc := p.Spec.Containers[0].SecurityContext
					if got := sc != nil && sc.Privileged != nil && *sc.Privileged; got != want {
						t.Errorf("%s privileged = %v, want %v", name, got, want)
					}
				}
			},
		},
		{
			name: "an overlay under a kustomization that does not name it is built",
			path: "testdata/kustomize/under",
			want: []string{"ConfigMap default/svc", "ConfigMap default/svc-debug"},
		},
		{
			name: "an overlay whose base is a sibling overlay: only the outer one is built",
			path: "testdata/kustomize/chain",
			want: []string{"ConfigMap default/prod-staging-settings"},
		},
		{
			name:       "Components alone are named as not scanned, with those only they use",
			path:       "testdata/kustomize/components-only",
			components: []string{"testdata/kustomize/components-only/all", "testdata/kustomize/components-only/labels", "testdata/kustomize/components-only/probes"},
		},
		{
			name:   "an exec KRM function is an error that says Moat runs none",
			path:   "testdata/kustomize/krm-exec",
			errHas: []string{"testdata/kustomize/krm-exec/kustomization.yaml: kustomize build: external plugins disabled; unable to load external plugin 'SetOwner': Moat runs no exec or container KRM functions and no plugins"},
			check: func(t *testing.T, inv *Inventory) {
				if _, err := os.Stat("testdata/kustomize/krm-exec/ran"); err == nil {
					t.Error("the function ran")
				}
			},
		},
		{
			name:   "a container KRM function is an error that says Moat runs none",
			path:   "testdata/kustomize/krm-container",
			errHas: []string{"testdata/kustomize/krm-container/kustomization.yaml: kustomize build: external plugins disabled; unable to load external plugin 'SetOwner': Moat runs no exec or container KRM functions and no plugins"},
		},
		{
			name:   "kustomizations that use each other: kustomize reports the cycle",
			path:   "testdata/kustomize/cycle",
			errHas: []string{"testdata/kustomize/cycle/a/kustomization.yaml: kustomize build: ", "cycle detected"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := Load([]string{tt.path}, Options{})
			if got := objectNames(inv); !slices.Equal(got, tt.want) {
				t.Errorf("objects %q, want %q", got, tt.want)
			}
			errs := errorStrings(inv.Errors)
			if want := min(len(tt.errHas), 1); len(errs) != want {
				t.Errorf("errors %q, want %d", errs, want)
			}
			for _, want := range tt.errHas {
				if len(errs) > 0 && !strings.Contains(errs[0], want) {
					t.Errorf("error %q lacks %q", errs[0], want)
				}
			}
			var warnings []string
			for _, w := range inv.Warnings {
				if !strings.Contains(w, unusedComponent) {
					warnings = append(warnings, w)
				}
			}
			if !slices.Equal(warnings, tt.warnings) {
				t.Errorf("warnings %q, want %q", warnings, tt.warnings)
			}
			if got := notScanned(inv, unusedComponent); !slices.Equal(got, tt.components) {
				t.Errorf("components not scanned %q, want %q", got, tt.components)
			}
			if tt.check != nil {
				tt.check(t, inv)
			}
		})
	}
}

// remoteFile reads origin paths kustomize builds from what a kustomization names.
func FuzzRemoteFile(f *testing.F) {
	for _, s := range []string{"https:/example.com/cm.yaml", "../../base/http:/127.0.0.1:8080/x/cm.yaml", "base/cm.yaml", "base/myhttp:/cm.yaml", "http:/", "/http:/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, origin string) {
		dir, url, ok := remoteFile(origin)
		if !ok {
			return
		}
		if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
			t.Errorf("remoteFile(%q): url %q", origin, url)
		}
		if !strings.HasPrefix(filepath.ToSlash(origin), dir) {
			t.Errorf("remoteFile(%q): dir %q is not its start", origin, dir)
		}
	})
}

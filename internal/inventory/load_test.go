package inventory

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// describe is one line per object: "apps/v1 Deployment shop/web @ file:line (origin)".
func describe(o *Object) string {
	name := o.Name()
	if ns := o.Namespace(); ns != "" {
		name = ns + "/" + name
	}
	s := fmt.Sprintf("%s %s %s @ %s", o.GVK.GroupVersion(), o.Kind(), name, o.Source)
	if o.Source.Origin != "" {
		s += " (" + o.Source.Origin + ")"
	}
	return s
}

func describeAll(objs []*Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = describe(o)
	}
	return out
}

func errorStrings(errs []error) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		stdin string
		want  []string // describe() of every object, in order
		// wantErrs are prefixes ("file:line: message start") of every error, in order.
		wantErrs []string
		// wantSkipped are the inputs read and not scanned, in order.
		wantSkipped []Skipped
		check       func(t *testing.T, inv *Inventory)
	}{
		{
			name:  "multi-document YAML with comments, empty documents and --- variants",
			paths: []string{"testdata/multi.yaml"},
			want: []string{
				"apps/v1 Deployment shop/web @ testdata/multi.yaml:3",
				"v1 Service shop/web @ testdata/multi.yaml:24",
				"v1 ConfigMap shop/web-config @ testdata/multi.yaml:41",
			},
			check: func(t *testing.T, inv *Inventory) {
				if got := inv.Objects[0].SourceAt("spec.template.spec.containers[0].securityContext.privileged").Line; got != 22 {
					t.Errorf("privileged is on line %d, want 22", got)
				}
			},
		},
		{
			name:  "JSON file",
			paths: []string{"testdata/object.json"},
			want:  []string{"v1 Pod ops/debug @ testdata/object.json:1"},
			check: func(t *testing.T, inv *Inventory) {
				if got := inv.Objects[0].SourceAt("spec.hostNetwork").Line; got != 9 {
					t.Errorf("hostNetwork is on line %d, want 9", got)
				}
			},
		},
		{
			name:  "kind List as written by kubectl get -o yaml",
			paths: []string{"testdata/list.yaml"},
			want: []string{
				"v1 ServiceAccount shop/default @ testdata/list.yaml:1",
				"rbac.authorization.k8s.io/v1 RoleBinding shop/shop-admin @ testdata/list.yaml:1",
			},
			check: func(t *testing.T, inv *Inventory) {
				rb, ok := inv.Objects[1].Obj.(*rbacv1.RoleBinding)
				if !ok || rb.RoleRef.Name != "cluster-admin" {
					t.Errorf("RoleBinding decoded as %T %+v", inv.Objects[1].Obj, inv.Objects[1].Obj)
				}
				if got := inv.Objects[1].SourceAt("roleRef.name").Line; got != 22 {
					t.Errorf("roleRef.name of the second item is on line %d, want 22", got)
				}
				if got := inv.Objects[1].SourceAt("").Line; got != 11 {
					t.Errorf("the second item starts on line %d, want 11", got)
				}
			},
		},
		{
			name:  "unknown kinds and custom resources are kept as unstructured",
			paths: []string{"testdata/custom.yaml"},
			want: []string{
				"apiextensions.k8s.io/v1 CustomResourceDefinition certificates.cert-manager.io @ testdata/custom.yaml:1",
				"cert-manager.io/v1 Certificate shop/shop-tls @ testdata/custom.yaml:19",
				"example.dev/v1alpha1 Widget gadget @ testdata/custom.yaml:32",
			},
			check: func(t *testing.T, inv *Inventory) {
				for _, o := range inv.Objects[1:] {
					u, ok := o.Obj.(*unstructured.Unstructured)
					if !ok {
						t.Errorf("%s decoded as %T, want unstructured", describe(o), o.Obj)
						continue
					}
					if _, found, _ := unstructured.NestedFieldNoCopy(u.Object, "spec"); !found {
						t.Errorf("%s lost its spec", describe(o))
					}
				}
			},
		},
		{
			name:  "removed API version is decoded into the current type and keeps the GVK it was written with",
			paths: []string{"testdata/legacy.yaml"},
			want:  []string{"extensions/v1beta1 Deployment legacy/old-api @ testdata/legacy.yaml:1"},
			check: func(t *testing.T, inv *Inventory) {
				d, ok := inv.Objects[0].Obj.(*appsv1.Deployment)
				if !ok {
					t.Fatalf("decoded as %T, want *appsv1.Deployment", inv.Objects[0].Obj)
				}
				if c := d.Spec.Template.Spec.Containers; len(c) != 1 || *c[0].SecurityContext.RunAsUser != 0 {
					t.Errorf("pod template not decoded: %+v", d.Spec.Template.Spec)
				}
				if gvk := d.GetObjectKind().GroupVersionKind(); gvk.GroupVersion().String() != "extensions/v1beta1" {
					t.Errorf("object GVK %v, want extensions/v1beta1 as written", gvk)
				}
			},
		},
		{
			name:  "directory walk: nested dirs, hidden dirs skipped, a chart and a kustomize overlay inside",
			paths: []string{"testdata/tree"},
			want: []string{
				"v1 Namespace shop @ testdata/tree/namespace.yaml:1",
				"networking.k8s.io/v1 NetworkPolicy shop/default-deny @ testdata/tree/nested/deeper/policy.json:1",
				"batch/v1 CronJob shop/cleanup @ testdata/tree/nested/worker.yml:1",
				"apiextensions.k8s.io/v1 CustomResourceDefinition widgets.shop.example.com @ testdata/tree/shop-chart/crds/widgets.yaml:1 (helm:shop)",
				"apps/v1 StatefulSet shop-redis @ testdata/tree/shop-chart/charts/redis/templates/statefulset.yaml:1 (helm:shop)",
				"apps/v1 Deployment default/shop-storefront @ testdata/tree/shop-chart/templates/deployment.yaml:1 (helm:shop)",
				"v1 Service shop-storefront @ testdata/tree/shop-chart/templates/service.yaml:1 (helm:shop)",
				"apps/v1 Deployment shop-prod/prod-checkout @ testdata/tree/deploy/base/deployment.yaml:1 (kustomize:testdata/tree/deploy/overlays/prod)",
				"v1 Service shop-prod/prod-checkout @ testdata/tree/deploy/base/service.yaml:1 (kustomize:testdata/tree/deploy/overlays/prod)",
				"v1 ConfigMap shop-prod/prod-checkout-config-dfk4bdbtkk @ testdata/tree/deploy/overlays/prod/kustomization.yaml:14 (kustomize:testdata/tree/deploy/overlays/prod)",
			},
		},
		{
			name:  "standard input via -",
			paths: []string{"-"},
			stdin: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: piped\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostPID: true\n  containers: [{name: c, image: busybox}]\n",
			want: []string{
				"v1 Namespace piped @ <stdin>:1",
				"v1 Pod p @ <stdin>:6",
			},
			check: func(t *testing.T, inv *Inventory) {
				if got := inv.Objects[1].SourceAt("spec.hostPID").Line; got != 11 {
					t.Errorf("hostPID on line %d, want 11", got)
				}
			},
		},
		{
			name:     "malformed document: the error names file and line, the documents around it and other files still load",
			paths:    []string{"testdata/malformed.yaml", "testdata/legacy.yaml"},
			want:     []string{"v1 ConfigMap before @ testdata/malformed.yaml:1", "v1 ConfigMap after @ testdata/malformed.yaml:16", "extensions/v1beta1 Deployment legacy/old-api @ testdata/legacy.yaml:1"},
			wantErrs: []string{"testdata/malformed.yaml:12: invalid YAML: "},
		},
		{
			name:     "missing path",
			paths:    []string{"testdata/no-such-file.yaml", "testdata/object.json"},
			want:     []string{"v1 Pod ops/debug @ testdata/object.json:1"},
			wantErrs: []string{"testdata/no-such-file.yaml: no such file or directory"},
		},
		{
			name:  "documents without kind or apiVersion, and one that is not a mapping",
			paths: []string{"testdata/nokind.yaml"},
			wantErrs: []string{
				"testdata/nokind.yaml:1: missing kind",
				"testdata/nokind.yaml:5: ConfigMap: missing apiVersion",
				"testdata/nokind.yaml:9: not a Kubernetes object: the document is a list",
			},
		},
		{
			name:     "wrong-typed field: the error points at the field, and the object is checked without it",
			paths:    []string{"testdata/wrongtype.yaml"},
			want:     []string{"v1 ConfigMap fine @ testdata/wrongtype.yaml:1", "apps/v1 Deployment api @ testdata/wrongtype.yaml:6"},
			wantErrs: []string{`testdata/wrongtype.yaml:11: Deployment "api": field spec.replicas: cannot use string as int32; the object is checked without this field`},
			check: func(t *testing.T, inv *Inventory) {
				d := inv.Objects[1].Obj.(*appsv1.Deployment)
				if d.Spec.Replicas != nil || len(d.Spec.Template.Spec.Containers) != 1 {
					t.Errorf("replicas %v, containers %v: want no replicas and the rest decoded", d.Spec.Replicas, d.Spec.Template.Spec.Containers)
				}
			},
		},
		{
			name:  "wrong-typed fields in two places: each is an error, only the bad values are left out",
			paths: []string{"testdata/badtype/pod.yaml", "testdata/badtype/unfixable.yaml"},
			want:  []string{"v1 Pod shop/typo @ testdata/badtype/pod.yaml:1"},
			wantErrs: []string{
				`testdata/badtype/pod.yaml:6: Pod "typo": field metadata.labels: cannot use bool as string; the object is checked without this field`,
				`testdata/badtype/pod.yaml:15: Pod "typo": field spec.containers.securityContext.privileged: cannot use string as bool; the object is checked without this field`,
				// A value no field can do without: reported, and the object is not scanned.
				`testdata/badtype/unfixable.yaml:1: Pod "bad-quantity": quantities must match`,
			},
			check: func(t *testing.T, inv *Inventory) {
				p := inv.Objects[0].Obj.(*corev1.Pod)
				if !p.Spec.HostNetwork || p.Labels["app"] != "shop" || len(p.Labels) != 1 {
					t.Errorf("hostNetwork %v, labels %v: want the good fields kept", p.Spec.HostNetwork, p.Labels)
				}
				c := p.Spec.Containers
				if len(c) != 2 || c[0].SecurityContext == nil || c[0].SecurityContext.Privileged != nil || c[1].SecurityContext.Privileged == nil || !*c[1].SecurityContext.Privileged {
					t.Errorf("containers %+v: want privileged dropped from app only", c)
				}
			},
		},
		{
			name:  "typed lists written by client libraries: items take kind and apiVersion from the list",
			paths: []string{"testdata/typedlist/namespacelist.json", "testdata/typedlist/podlist.yaml", "testdata/typedlist/widgetlist.yaml"},
			want: []string{
				"v1 Namespace team-a @ testdata/typedlist/namespacelist.json:1",
				"v1 Namespace team-b @ testdata/typedlist/namespacelist.json:1",
				"v1 Pod shop/web @ testdata/typedlist/podlist.yaml:1",
				"v1 Pod shop/debug @ testdata/typedlist/podlist.yaml:1",
				"shop.example.com/v1 Widget blue @ testdata/typedlist/widgetlist.yaml:1",
				"shop.example.com/v2 Widget green @ testdata/typedlist/widgetlist.yaml:1",
			},
			check: func(t *testing.T, inv *Inventory) {
				lines := []struct {
					obj        int
					path       string
					want       int
					whatItSays string
				}{
					{1, "", 9, "the second namespace starts"},
					{3, "", 14, "the second pod starts"},
					{3, "spec.hostNetwork", 18, "the second pod's hostNetwork is"},
					{5, "metadata.name", 10, "the second widget's name is"},
				}
				for _, l := range lines {
					if got := inv.Objects[l.obj].SourceAt(l.path).Line; got != l.want {
						t.Errorf("%s on line %d, want %d", l.whatItSays, got, l.want)
					}
				}
				if _, ok := inv.Objects[0].Obj.(*corev1.Namespace); !ok {
					t.Errorf("Namespace decoded as %T", inv.Objects[0].Obj)
				}
				u, ok := inv.Objects[4].Obj.(*unstructured.Unstructured)
				if !ok || u.GetKind() != "Widget" || u.GetAPIVersion() != "shop.example.com/v1" {
					t.Errorf("Widget decoded as %T %v", inv.Objects[4].Obj, inv.Objects[4].Obj)
				}
			},
		},
		{
			name:     "a wrong-typed field in an item of a typed list: the error names the item and the field's line",
			paths:    []string{"testdata/typedlist/podlist-badtype.yaml"},
			want:     []string{"v1 Pod first @ testdata/typedlist/podlist-badtype.yaml:1", "v1 Pod second @ testdata/typedlist/podlist-badtype.yaml:1"},
			wantErrs: []string{`testdata/typedlist/podlist-badtype.yaml:14: items[1]: Pod "second": field spec.containers.securityContext.privileged: cannot use string as bool; the object is checked without this field`},
			check: func(t *testing.T, inv *Inventory) {
				if got := inv.Objects[1].SourceAt("spec.hostPID").Line; got != 9 {
					t.Errorf("hostPID of the second item on line %d, want 9", got)
				}
			},
		},
		{
			name:     "a v1 List holds any kind: an item without one is an error",
			paths:    []string{"testdata/typedlist/list-without-item-kinds.yaml"},
			wantErrs: []string{"testdata/typedlist/list-without-item-kinds.yaml:5: items[0]: missing kind"},
		},
		{
			name:  "directory walk: files of no Kubernetes object are skipped, documents that look like objects are still errors",
			paths: []string{"testdata/notobjects"},
			want: []string{
				"v1 ConfigMap web/settings @ testdata/notobjects/mixed.yaml:1",
				"v1 Pod web/app @ testdata/notobjects/pod.yaml:1",
			},
			wantErrs: []string{
				"testdata/notobjects/half-object.yaml:1: Deployment: missing apiVersion",
				"testdata/notobjects/mixed.yaml:7: not a Kubernetes object: no apiVersion or kind",
			},
			wantSkipped: []Skipped{
				{"testdata/notobjects/ci.yaml", "not a Kubernetes object: no apiVersion or kind"},
				{"testdata/notobjects/expected-findings.yaml", "not a Kubernetes object: the document is a list, not a mapping with apiVersion and kind"},
				{"testdata/notobjects/package.json", "not a Kubernetes object: no apiVersion or kind"},
			},
		},
		{
			name:     "a file named on the command line must hold objects",
			paths:    []string{"testdata/notobjects/ci.yaml", "testdata/notobjects/package.json"},
			wantErrs: []string{"testdata/notobjects/ci.yaml:1: not a Kubernetes object: no apiVersion or kind", "testdata/notobjects/package.json:1: not a Kubernetes object: no apiVersion or kind"},
		},
		{
			name:     "standard input must hold objects",
			paths:    []string{"-"},
			stdin:    "name: ci\non: push\n",
			wantErrs: []string{"<stdin>:1: not a Kubernetes object: no apiVersion or kind"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := Load(tt.paths, Options{Stdin: strings.NewReader(tt.stdin)})
			if got := describeAll(inv.Objects); !slices.Equal(got, tt.want) {
				t.Errorf("objects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			errs := errorStrings(inv.Errors)
			if len(errs) != len(tt.wantErrs) {
				t.Fatalf("errors:\n%s\nwant %d starting with:\n%s", strings.Join(errs, "\n"), len(tt.wantErrs), strings.Join(tt.wantErrs, "\n"))
			}
			for i := range errs {
				if !strings.HasPrefix(errs[i], tt.wantErrs[i]) {
					t.Errorf("error %d = %q, want it to start with %q", i, errs[i], tt.wantErrs[i])
				}
			}
			if !slices.Equal(inv.Skipped, tt.wantSkipped) {
				t.Errorf("skipped %q, want %q", inv.Skipped, tt.wantSkipped)
			}
			if tt.check != nil && len(inv.Objects) == len(tt.want) {
				tt.check(t, inv)
			}
		})
	}
}

func TestLoadIndexesByKindAndNamespace(t *testing.T) {
	inv := Load([]string{"testdata/tree"}, Options{})
	if got := len(inv.Kind("Deployment")); got != 2 {
		t.Errorf("%d Deployments, want 2", got)
	}
	if inv.Find("Service", "shop-prod", "prod-checkout") == nil {
		t.Error("kustomized Service not found by kind, namespace and name")
	}
	if want := []string{"default", "shop", "shop-prod"}; !slices.Equal(inv.Namespaces(), want) {
		t.Errorf("namespaces %v, want %v", inv.Namespaces(), want)
	}
}

func TestLoadDoesNotReadHiddenDirectories(t *testing.T) {
	inv := Load([]string{"testdata/tree"}, Options{})
	for _, o := range inv.Objects {
		if strings.Contains(o.Source.File, "/.") {
			t.Errorf("read %s from a hidden directory", describe(o))
		}
	}
	// The same files are read when named directly: only the walk skips them.
	if inv := Load([]string{"testdata/tree/.hidden/secret.yaml"}, Options{}); len(inv.Objects) != 1 {
		t.Errorf("a hidden file named on the command line gave %d objects, want 1", len(inv.Objects))
	}
}

func TestLoadUnreadableFileInWalk(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	dir := t.TempDir()
	writeFile(t, dir+"/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n")
	writeFile(t, dir+"/locked.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: locked\n")
	if err := os.Chmod(dir+"/locked.yaml", 0); err != nil {
		t.Fatal(err)
	}
	inv := Load([]string{dir}, Options{})
	if len(inv.Objects) != 1 || len(inv.Errors) != 1 || !strings.Contains(inv.Errors[0].Error(), "locked.yaml: permission denied") {
		t.Errorf("objects %v, errors %v", describeAll(inv.Objects), inv.Errors)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadTreesSayWhatTheyDoNotScan: a chart or kustomize tree hides nothing that
// looks like an object. A Component no overlay uses is skipped with its reason; a
// file no kustomization uses is scanned as a plain manifest and named, or is an
// error when it looks like an object and does not decode; the tree's other files
// (settings, values) are neither.
func TestLoadTreesSayWhatTheyDoNotScan(t *testing.T) {
	tests := []struct {
		name        string
		path        string
		objects     []string
		errs        []string
		warnings    []string
		wantSkipped []Skipped
	}{
		{
			name:        "a directory of Kustomize Components alone",
			path:        "testdata/component-only",
			warnings:    []string{"testdata/component-only: a Kustomize Component, built only as part of an overlay, and no kustomization in the scan uses it; not scanned"},
			wantSkipped: []Skipped{{"testdata/component-only", "a Kustomize Component, built only as part of an overlay, and no kustomization in the scan uses it"}},
		},
		{
			name: "files a kustomization does not use",
			path: "testdata/unused-tree",
			objects: []string{
				"v1 Pod forgotten @ testdata/unused-tree/extra/pod.yaml:1",
				"v1 ConfigMap used @ testdata/unused-tree/cm.yaml:1 (kustomize:testdata/unused-tree)",
			},
			errs:     []string{"testdata/unused-tree/extra/broken.yaml:1: Pod: missing apiVersion"},
			warnings: []string{"testdata/unused-tree: 1 file holds Kubernetes objects that no kustomization in the scan uses; scanned as plain manifests: extra/pod.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := Load([]string{tt.path}, Options{})
			got := describeAll(inv.Objects)
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.objects))
			if !slices.Equal(got, want) {
				t.Errorf("objects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if errs := errorStrings(inv.Errors); !slices.Equal(errs, tt.errs) {
				t.Errorf("errors %q, want %q", errs, tt.errs)
			}
			if !slices.Equal(inv.Warnings, tt.warnings) {
				t.Errorf("warnings %q, want %q", inv.Warnings, tt.warnings)
			}
			if !slices.Equal(inv.Skipped, tt.wantSkipped) {
				t.Errorf("skipped %q, want %q", inv.Skipped, tt.wantSkipped)
			}
		})
	}
}

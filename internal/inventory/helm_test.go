package inventory

import (
	"os"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestHelmChartRendersLikeHelmTemplate(t *testing.T) {
	inv := Load([]string{"testdata/tree/shop-chart"}, Options{})
	if len(inv.Errors) > 0 {
		t.Fatalf("errors: %v", inv.Errors)
	}
	want := []string{
		"apiextensions.k8s.io/v1 CustomResourceDefinition widgets.shop.example.com @ testdata/tree/shop-chart/crds/widgets.yaml:1 (helm:shop)",
		"apps/v1 StatefulSet shop-redis @ testdata/tree/shop-chart/charts/redis/templates/statefulset.yaml:1 (helm:shop)",
		"apps/v1 Deployment default/shop-storefront @ testdata/tree/shop-chart/templates/deployment.yaml:1 (helm:shop)",
		"v1 Service shop-storefront @ testdata/tree/shop-chart/templates/service.yaml:1 (helm:shop)",
	}
	if got := describeAll(inv.Objects); !slices.Equal(got, want) {
		t.Fatalf("objects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	d := inv.Find("Deployment", "default", "shop-storefront").Obj.(*appsv1.Deployment)
	if *d.Spec.Replicas != 2 || d.Spec.Template.Spec.Containers[0].Image != "registry.example.com/shop/storefront:2.3.1" {
		t.Errorf("chart defaults not applied: replicas %d image %s", *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image)
	}
	if got := d.Labels["app.kubernetes.io/instance"]; got != "shop" {
		t.Errorf("release name %q, want the chart name", got)
	}
	// Lines are lines of the template, not of its output: the three includes above it
	// each render to two lines, so privileged is three lines lower in the output.
	if got := inv.Kind("Deployment")[0].SourceAt("spec.template.spec.containers[0].securityContext.privileged").Line; got != 22 {
		t.Errorf("privileged on line %d, want the template's line 22", got)
	}
	if sts := inv.Kind("StatefulSet"); len(sts) != 1 || sts[0].Obj.(*appsv1.StatefulSet).Spec.Template.Spec.Containers[0].Image != "redis:7.4" {
		t.Errorf("dependency not rendered with its own values")
	}
}

func TestHelmValuesSetAndNamespace(t *testing.T) {
	inv := Load([]string{"testdata/tree/shop-chart"}, Options{
		HelmValues: []string{"testdata/values/prod-values.yaml"},
		HelmSet:    []string{"image.tag=9.9.0,redis.enabled=false", "service.port=8443"},
		Namespace:  "shop-prod",
	})
	if len(inv.Errors) > 0 {
		t.Fatalf("errors: %v", inv.Errors)
	}
	o := inv.Find("Deployment", "shop-prod", "shop-storefront")
	if o == nil {
		t.Fatalf("no Deployment in the release namespace: %v", describeAll(inv.Objects))
	}
	d := o.Obj.(*appsv1.Deployment)
	c := d.Spec.Template.Spec.Containers[0]
	if *d.Spec.Replicas != 5 || c.Image != "registry.example.com/shop/storefront:9.9.0" || c.SecurityContext == nil || !*c.SecurityContext.Privileged {
		t.Errorf("values file and --set not applied: replicas %d image %s securityContext %+v", *d.Spec.Replicas, c.Image, c.SecurityContext)
	}
	if len(inv.Kind("StatefulSet")) != 0 {
		t.Error("redis.enabled=false did not disable the dependency")
	}
	if svc := inv.Kind("Service"); len(svc) != 1 || svc[0].Obj.(*corev1.Service).Spec.Ports[0].Port != 8443 {
		t.Errorf("service.port=8443 not applied")
	}
}

func TestHelmErrorsNameChartTemplateAndLine(t *testing.T) {
	inv := Load([]string{"testdata/charts/broken", "testdata/charts/missing-dep", "testdata/charts/needs-value", "testdata/object.json"}, Options{})
	got := errorStrings(inv.Errors)
	want := []string{
		`testdata/charts/broken/templates/configmap.yaml:7: helm chart "broken": parse error at (broken/templates/configmap.yaml:7): unclosed action started at broken/templates/configmap.yaml:6`,
		`testdata/charts/missing-dep/Chart.yaml: helm chart "missing-dep": dependencies "postgresql" are in Chart.yaml but not in charts/`,
		`testdata/charts/needs-value/templates/secret.yaml:6: helm chart "needs-value": execution error at (needs-value/templates/secret.yaml:6:15): db.password is required`,
	}
	if len(got) != len(want) {
		t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	// Charts that fail do not stop the others, nor other inputs.
	wantObjs := []string{
		"v1 Pod ops/debug @ testdata/object.json:1",
		"v1 ServiceAccount default/missing-dep @ testdata/charts/missing-dep/templates/serviceaccount.yaml:1 (helm:missing-dep)",
	}
	if objs := describeAll(inv.Objects); !sameSet(objs, wantObjs) {
		t.Errorf("objects:\n%s\nwant:\n%s", strings.Join(objs, "\n"), strings.Join(wantObjs, "\n"))
	}
}

func TestHelmBadValues(t *testing.T) {
	inv := Load([]string{"testdata/tree/shop-chart", "testdata/charts/missing-dep"}, Options{
		HelmValues: []string{"testdata/values/no-such-values.yaml"},
		HelmSet:    []string{"no-equals-sign"},
	})
	got := errorStrings(inv.Errors)
	if len(got) < 2 || !strings.HasPrefix(got[0], "testdata/values/no-such-values.yaml: helm values: no such file") || !strings.HasPrefix(got[1], "--set no-equals-sign: ") {
		t.Errorf("errors %q, want the values file and the --set pair named", got)
	}
	for _, e := range got[2:] {
		if strings.Contains(e, "no-such-values") || strings.Contains(e, "--set") {
			t.Errorf("values error repeated for a second chart: %s", e)
		}
	}
	if len(inv.Kind("Deployment")) != 1 {
		t.Error("the chart was not rendered with the values that could be read")
	}
}

func TestHelmRenderedTemplateWithBadYAML(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/Chart.yaml", "apiVersion: v2\nname: sloppy\nversion: 0.1.0\n")
	mkdir(t, dir+"/templates")
	writeFile(t, dir+"/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n   labels: x\n")
	inv := Load([]string{dir}, Options{})
	if len(inv.Objects) != 1 || len(inv.Errors) != 1 {
		t.Fatalf("objects %v errors %v", describeAll(inv.Objects), inv.Errors)
	}
	// Line 10 of the rendered output; the document starts on line 6.
	e := inv.Errors[0].(*Error)
	if !strings.HasSuffix(e.File, "/templates/cm.yaml") || e.Line != 10 || !strings.Contains(e.Error(), `rendered by helm chart "sloppy"`) {
		t.Errorf("error %v, want templates/cm.yaml:10 rendered by helm chart", e)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

package namespace

import (
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestDefaultNamespaceUsed(t *testing.T) {
	ruletest.Fixtures(t, "namespace/default-namespace-used")
}

// A manifest written without a namespace, and an object a Helm chart rendered into
// the release namespace, are not reported: the tool that applies them chooses the
// namespace. (Not fixtures: the admission policy sees such objects in the namespace of
// the request, which the agreement tests take to be default.)
func TestDefaultNamespaceLeftToTheApplyingTool(t *testing.T) {
	r := rule.Get("namespace/default-namespace-used")
	file := filepath.Join(t.TempDir(), "web.yaml")
	body := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n" +
		"  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx:1.27}]}\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if fs := ruletest.Run(t, r, file); len(fs) != 0 {
		t.Errorf("a manifest without a namespace is reported:\n%s", ruletest.Format(fs))
	}

	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}}
	gvk := appsv1.SchemeGroupVersion.WithKind("Deployment")
	helm := inventory.New(d, gvk, &finding.Source{File: "shop/templates/web.yaml", Line: 1, Origin: "helm:shop"})
	if fs := ruletest.Check(t, helm, r); len(fs) != 0 {
		t.Errorf("an object rendered from a chart is reported:\n%s", ruletest.Format(fs))
	}
	// The same object read from a cluster (no source) is where it says it is.
	live := inventory.New(d, gvk, nil)
	if fs := ruletest.Check(t, live, r); len(fs) != 1 {
		t.Errorf("a live object in default: %d findings, want 1", len(fs))
	}
}

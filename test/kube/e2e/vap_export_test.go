package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// TestVAPExportIsAcceptedByTheAPIServer applies every policy `moat vap export` writes (not
// only the Pod Security ones the replay test uses) to a real API server, which validates
// each object and compiles its CEL, and then waits for the server's type checking of each
// policy against the kinds it matches: an expression that names a field the schema does
// not have shows up there as a warning, and is a failure here.
func TestVAPExportIsAcceptedByTheAPIServer(t *testing.T) {
	// kube-controller-manager's status controller runs the type check.
	c := kubetest.Start(t, kubetest.WithControllerManager("validatingadmissionpolicy-status-controller"))
	cfg := c.RESTConfig()
	r := moat(t, "vap", "export")
	if r.code != 0 {
		t.Fatalf("moat vap export: exit %d\n%s", r.code, r.stderr)
	}
	objs := decodeObjects(t, strings.NewReader(r.stdout))
	var policies []string
	for _, u := range objs {
		if u.GetKind() == "ValidatingAdmissionPolicy" {
			policies = append(policies, u.GetName())
		}
	}
	if len(policies) < 60 {
		t.Fatalf("%d policies exported, want at least 60", len(policies))
	}
	if n := create(t, cfg, objs); n != len(objs) {
		t.Fatalf("created %d of %d exported objects", n, len(objs))
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	vaps := dyn.Resource(schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicies"})
	ctx := context.Background()
	pending := map[string]bool{}
	for _, p := range policies {
		pending[p] = true
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(pending) > 0 && time.Now().Before(deadline) {
		for name := range pending {
			u, err := vaps.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			observed, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
			if observed < u.GetGeneration() {
				continue // not type-checked yet
			}
			delete(pending, name)
			warnings, _, _ := unstructured.NestedSlice(u.Object, "status", "typeChecking", "expressionWarnings")
			for _, w := range warnings {
				t.Errorf("policy %s: the API server's type check warns: %v", name, w)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(pending) > 0 {
		t.Errorf("%d policies not type-checked by the API server within a minute", len(pending))
	}
	t.Logf("%d exported policies accepted and type-checked by kube-apiserver", len(policies))
}

package manifests

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	_ "github.com/moat-dev/moat/internal/catalog"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/golden"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/scan"
)

const deployed = "../../../deploy/admission/manifests.yaml"

// TestManifestsScanClean scans the printed manifests with every rule: not one finding,
// at any severity.
func TestManifestsScanClean(t *testing.T) {
	data, err := YAML(Objects(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := inventory.Decode(bytes.NewReader(data), "manifests.yaml")
	if len(errs) > 0 {
		t.Fatalf("the manifests do not decode: %v", errs)
	}
	kinds := map[string]bool{}
	for _, o := range objs {
		kinds[o.Kind()] = true
	}
	for _, k := range []string{"Namespace", "ServiceAccount", "Deployment", "PodDisruptionBudget", "Service", "NetworkPolicy", "ValidatingWebhookConfiguration"} {
		if !kinds[k] {
			t.Errorf("no %s in the manifests", k)
		}
	}
	inv := inventory.NewInventory(objs)
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	res := scan.NewEvaluator(scan.Options{Config: &exceptions.Config{}, Now: func() time.Time { return now }}).Evaluate(context.Background(), inv)
	if len(res.Errors) > 0 {
		t.Errorf("errors: %q", res.Errors)
	}
	for _, f := range res.Findings {
		if f.Suppressed == nil && f.Severity >= finding.Info {
			t.Errorf("%s %s: [%s] %s (%s)", f.Source, f.Resource, f.RuleID, f.Message, f.Path)
		}
	}
}

// TestDeployedCopy keeps deploy/admission/manifests.yaml equal to what the code prints.
func TestDeployedCopy(t *testing.T) {
	data, err := YAML(Objects(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, deployed, data)
}

func TestOptions(t *testing.T) {
	data, err := YAML(Objects(Options{Namespace: "security", Image: "registry.example.com/moat@sha256:" + strings.Repeat("a", 64), Replicas: 3, CABundle: []byte("PEM")}))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{"namespace: security", "replicas: 3", "registry.example.com/moat@sha256:", "caBundle: UEVN", "- security"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(s, "cert-manager.io/inject-ca-from: ") {
		t.Error("a given CA bundle still asks cert-manager to inject one")
	}
}

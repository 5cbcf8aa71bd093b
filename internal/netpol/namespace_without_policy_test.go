package netpol

import (
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestNamespaceWithoutPolicy(t *testing.T) {
	ruletest.Fixtures(t, "netpol/namespace-without-policy")
}

// A namespace that no Namespace object declares gets a synthetic one, located by the
// file of its first workload and no line; a declared one is located by its own line.
func TestNamespaceWithoutPolicyLocation(t *testing.T) {
	r := rule.Get("netpol/namespace-without-policy")
	tests := []struct {
		name, file string
		want       map[string]finding.Source
	}{
		{"declared namespace", "testdata/netpol_namespace-without-policy/fail/shop.yaml",
			map[string]finding.Source{"shop": {File: "testdata/netpol_namespace-without-policy/fail/shop.yaml", Line: 2}}},
		{"namespaces named only by workloads", "testdata/netpol_namespace-without-policy/fail/no-namespace-object.yaml",
			map[string]finding.Source{
				"payments": {File: "testdata/netpol_namespace-without-policy/fail/no-namespace-object.yaml"},
				"default":  {File: "testdata/netpol_namespace-without-policy/fail/no-namespace-object.yaml"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ruletest.Run(t, r, tt.file)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(got), len(tt.want), ruletest.Format(got))
			}
			for _, f := range got {
				want, ok := tt.want[f.Resource.Name]
				if !ok || f.Source == nil || *f.Source != want {
					t.Errorf("%s: source %v, want %v", f.Resource, f.Source, want)
				}
				if f.Resource.Kind != "Namespace" || f.Resource.APIVersion != "v1" {
					t.Errorf("resource %+v, want a v1 Namespace", f.Resource)
				}
			}
		})
	}
}

// Findings come out the same from a cluster read, where objects have no source.
func TestNamespaceWithoutPolicyFromCluster(t *testing.T) {
	objs, errs := inventory.Decode(strings.NewReader(`apiVersion: v1
kind: Pod
metadata: {name: web, namespace: blog}
spec:
  containers: [{name: web, image: "nginx:1.27"}]
`), "cluster")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, o := range objs {
		o.Source = nil
	}
	got := ruletest.Evaluate(t, inventory.NewInventory(objs), ruletest.Options, rule.Get("netpol/namespace-without-policy"))
	if len(got) != 1 || got[0].Source != nil || got[0].Resource.Name != "blog" {
		t.Fatalf("want one finding on Namespace blog with no source, got:\n%s", ruletest.Format(got))
	}
}

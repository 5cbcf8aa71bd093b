package inventory_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/scan"
)

// Charts pick API versions from .Capabilities: by default they see every API version
// the target release (kubeversion.Default) serves, as helm install into it would show
// them, so they do not fall back to a removed version; --kube-version and
// --api-versions change what they see as helm template's flags do.
func TestChartCapabilities(t *testing.T) {
	const chart = "testdata/charts/capabilities"
	tests := []struct {
		name        string
		kubeVersion string
		apiVersions []string
		want        []string // apiVersion of the PodDisruptionBudget, then of the CronJob
		kube        string   // .Capabilities.KubeVersion.Version
	}{
		{"default: the release Moat targets serves policy/v1 and batch/v1", "", nil, []string{"policy/v1", "batch/v1"}, "v1.37.0"},
		{"1.20 serves neither", "1.20", nil, []string{"policy/v1beta1", "batch/v1beta1"}, "v1.20.0"},
		{"1.24 serves both, and the betas still", "v1.24.3", nil, []string{"policy/v1", "batch/v1"}, "v1.24.3"},
		{"--api-versions adds to what the release serves", "1.20", []string{"policy/v1/PodDisruptionBudget"}, []string{"policy/v1", "batch/v1beta1"}, "v1.20.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loaded, findings := scanFindings(t, scan.Input{Paths: []string{chart}, KubeVersion: tt.kubeVersion, APIVersions: tt.apiVersions})
			var got []string
			for _, kind := range []string{"PodDisruptionBudget", "CronJob"} {
				for _, o := range loaded.Kind(kind) {
					got = append(got, o.GVK.GroupVersion().String())
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("API versions %q, want %q", got, tt.want)
			}
			if cj := loaded.Kind("CronJob"); len(cj) == 1 && cj[0].Meta.GetAnnotations()["kube-version"] != tt.kube {
				t.Errorf(".Capabilities.KubeVersion.Version %q, want %q", cj[0].Meta.GetAnnotations()["kube-version"], tt.kube)
			}
			if tt.kubeVersion == "" {
				for _, f := range findings {
					if f.RuleID == "api/removed-version" || f.RuleID == "api/deprecated-version" {
						t.Errorf("default capabilities led the chart to an old API: %s %s", f.RuleID, f.Message)
					}
				}
			}
		})
	}
}

// A --kube-version that names no release is one clear error, and no chart is
// rendered for a release that does not exist.
func TestChartBadKubeVersion(t *testing.T) {
	inv := inventory.Load([]string{"testdata/charts/capabilities", "testdata/charts/split"}, inventory.Options{KubeVersion: "2.0"})
	if len(inv.Errors) != 1 || !strings.HasPrefix(inv.Errors[0].Error(), `--kube-version 2.0: kube version "2.0": only 1.x releases exist`) {
		t.Errorf("errors %v, want one naming --kube-version", inv.Errors)
	}
	if len(inv.Objects) != 0 {
		t.Errorf("charts rendered for a release that does not exist: %d objects", len(inv.Objects))
	}
}

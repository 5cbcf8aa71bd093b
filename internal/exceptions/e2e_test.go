package exceptions_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/inventory"
	_ "github.com/moat-dev/moat/internal/netpol"
	_ "github.com/moat-dev/moat/internal/rbac"
	"github.com/moat-dev/moat/internal/scan"
)

// The scan flow end to end with the real rbac and netpol rules: the config file and the
// inline annotations suppress, the summary counts the suppressed findings apart, and
// they are shown only when asked for.
func TestScanWithExceptions(t *testing.T) {
	cfg, err := exceptions.Load("testdata/e2e/moat.yaml", true)
	if err != nil {
		t.Fatal(err)
	}
	inv := inventory.Load([]string{"testdata/e2e/manifests.yaml"}, inventory.Options{})
	if len(inv.Errors) > 0 {
		t.Fatal(inv.Errors)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	run := func(show bool) []string {
		rep := scan.NewEvaluator(scan.Options{Now: func() time.Time { return now }, Config: cfg, ShowSuppressed: show}).Evaluate(context.Background(), inv)
		var out []string
		for _, f := range rep.Findings {
			if !strings.HasPrefix(f.RuleID, "rbac/") && !strings.HasPrefix(f.RuleID, "netpol/") && !strings.HasPrefix(f.RuleID, "config/") {
				continue // rules of other packages linked into this binary, if any
			}
			s := fmt.Sprintf("%s %s %s", f.Severity, f.RuleID, f.Resource)
			if f.Suppressed != nil {
				s += " suppressed by " + f.Suppressed.Kind
			}
			out = append(out, s)
		}
		if show {
			if rep.Summary.Suppressed != 6 {
				t.Errorf("summary counts %d suppressed, want 6 (wildcard-resources by annotation, the five netpol findings of monitoring by config)", rep.Summary.Suppressed)
			}
			wantWarn := `testdata/e2e/moat.yaml:9: exceptions[2].rules[0]: "rbac/wildcard-verb" matches no rule (see moat rules)`
			if strings.Join(rep.Warnings, "\n") != wantWarn {
				t.Errorf("warnings %q, want %q", rep.Warnings, wantWarn)
			}
		}
		return out
	}
	reported := []string{
		"critical rbac/nodes-proxy ClusterRole/backup-reader",
		"high rbac/exec-into-pods ClusterRole/backup-reader",
		"high rbac/read-secrets ClusterRole/backup-reader",
		"high rbac/cluster-admin-binding ClusterRoleBinding/ci-admin",
		"high rbac/kube-system-configmaps ClusterRoleBinding/ci-admin",
		"high rbac/binding-to-all-authenticated ClusterRoleBinding/everyone-view",
		"medium config/expired-exception MoatConfig/testdata/e2e/moat.yaml",
		"medium netpol/egress-to-metadata Namespace/shop",
		"medium netpol/namespace-without-default-deny Namespace/shop",
		"medium netpol/namespace-without-policy Namespace/shop",
		"medium netpol/unrestricted-egress Namespace/shop",
		"medium netpol/workload-not-isolated-ingress Namespace/shop",
		"low config/ignore-without-reason ClusterRoleBinding/ci-admin",
	}
	if got := run(false); strings.Join(got, "\n") != strings.Join(reported, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(reported, "\n"))
	}
	all := []string{
		"critical rbac/nodes-proxy ClusterRole/backup-reader",
		"high rbac/exec-into-pods ClusterRole/backup-reader",
		"high rbac/read-secrets ClusterRole/backup-reader",
		"high rbac/wildcard-resources ClusterRole/backup-reader suppressed by annotation",
		"high rbac/cluster-admin-binding ClusterRoleBinding/ci-admin",
		"high rbac/kube-system-configmaps ClusterRoleBinding/ci-admin",
		"high rbac/binding-to-all-authenticated ClusterRoleBinding/everyone-view",
		"medium config/expired-exception MoatConfig/testdata/e2e/moat.yaml",
		"medium netpol/egress-to-metadata Namespace/monitoring suppressed by config",
		"medium netpol/namespace-without-default-deny Namespace/monitoring suppressed by config",
		"medium netpol/namespace-without-policy Namespace/monitoring suppressed by config",
		"medium netpol/unrestricted-egress Namespace/monitoring suppressed by config",
		"medium netpol/workload-not-isolated-ingress Namespace/monitoring suppressed by config",
		"medium netpol/egress-to-metadata Namespace/shop",
		"medium netpol/namespace-without-default-deny Namespace/shop",
		"medium netpol/namespace-without-policy Namespace/shop",
		"medium netpol/unrestricted-egress Namespace/shop",
		"medium netpol/workload-not-isolated-ingress Namespace/shop",
		"low config/ignore-without-reason ClusterRoleBinding/ci-admin",
	}
	if got := run(true); strings.Join(got, "\n") != strings.Join(all, "\n") {
		t.Errorf("findings with --show-suppressed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(all, "\n"))
	}
}

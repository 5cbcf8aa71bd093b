package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/operator/reports"
	"github.com/moat-dev/moat/internal/scan"
)

// reportCLI runs `moat report ARGS` in-process, as execute runs a command line.
func reportCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	root := &cobra.Command{Use: "moat", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newReportCmd())
	root.SetArgs(append([]string{"report"}, args...))
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return scan.ExitOK, out.String(), errb.String()
	case errors.As(err, &ee):
		return ee.code, out.String(), errb.String()
	}
	fmt.Fprintln(&errb, "moat:", err)
	return scan.ExitError, out.String(), errb.String()
}

// TestReportHidesSuppressed: as moat scan, suppressed findings are counted and shown
// only with --show-suppressed.
func TestReportHidesSuppressed(t *testing.T) {
	cart := finding.Resource{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "cart"}
	fs := []finding.Finding{
		{RuleID: "pod/privileged-container", Severity: finding.Critical, Message: "privileged", Resource: cart},
		{RuleID: "pod/run-as-non-root", Severity: finding.Medium, Message: "may run as root", Resource: cart,
			Suppressed: &finding.Suppression{Kind: "annotation", Reason: "vendor image"}},
	}
	rs, err := reports.Assemble(reports.Build(reports.Options{Now: func() time.Time { return time.Unix(0, 0) }}, "shop", fs, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, show := range []bool{false, true} {
		rep := findingsReport(rs, show)
		suppressed := 0
		for _, f := range rep.Findings {
			if f.Suppressed != nil {
				suppressed++
			}
		}
		want := 0
		if show {
			want = 1
		}
		if suppressed != want || rep.Summary.Suppressed != 1 || rep.Summary.Findings != 1 || rep.ToolVersion != version {
			t.Errorf("show %v: %d suppressed findings shown (want %d), summary %+v, version %q", show, suppressed, want, rep.Summary, rep.ToolVersion)
		}
	}
}

// TestReportUsage checks the command's refusals, each exit 2 with a message that says
// what to do.
func TestReportUsage(t *testing.T) {
	// A kubeconfig whose server is a closed loopback port: nothing answers there.
	kc := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
current-context: closed
clusters: [{name: closed, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: closed, user: {token: t}}]
contexts: [{name: closed, context: {cluster: closed, user: closed, namespace: shop}}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"-n and -A exclude each other", []string{"-n", "shop", "-A", "--kubeconfig", kc}, "give -n NAMESPACE or -A, not both"},
		{"an unknown output format", []string{"-o", "sarif", "--kubeconfig", kc}, `unknown output format "sarif" (want table or json)`},
		{"an unknown severity", []string{"--fail-on", "severe", "--kubeconfig", kc}, `--fail-on: unknown severity "severe"`},
		{"arguments are refused", []string{"shop", "--kubeconfig", kc}, `unknown command "shop"`},
		{"a cluster that does not answer", []string{"--kubeconfig", kc}, "cannot reach the cluster at https://127.0.0.1:1"},
		{"an unknown context", []string{"--kubeconfig", kc, "--context", "prod"}, `context "prod" does not exist`},
		{"no kubeconfig at all", []string{"--kubeconfig", filepath.Join(t.TempDir(), "none")}, "cluster configuration:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errb := reportCLI(t, tc.args...)
			if code != scan.ExitError || !strings.Contains(errb, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errb, tc.want)
			}
		})
	}
}

package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/cluster"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/operator/reports"
	"github.com/moat-dev/moat/internal/report"
	"github.com/moat-dev/moat/internal/scan"
)

type reportFlags struct {
	namespace               string
	allNamespaces           bool
	kubeconfig, kubeContext string
	output                  string
	failOn                  string
	showSuppressed          bool
}

// reportFormats are the formats of `moat report`: the findings' table and JSON.
var reportFormats = []string{"table", "json"}

func newReportCmd() *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report [-n NAMESPACE | -A]",
		Short: "Print the findings of the reports the Moat operator keeps in the cluster",
		Long: `Reads the reports the Moat operator keeps current in the cluster (moat serve operator, the
Helm chart deploy/charts/moat): the Report of a namespace (openreports.io/v1alpha1), or, where
the operator writes the older API, its PolicyReport (wgpolicyk8s.io/v1alpha2), all its parts,
and prints their results as moat scan prints findings. -A reads every namespace's report and
the cluster report (cluster-scoped resources, and what the operator could not read).

The namespace is the kubeconfig context's, as for kubectl, unless -n or -A is given.

Exit codes: 0 no failing result at or above --fail-on, 1 some, 2 the report could not be read
(no report for the namespace, no permission, a report being rewritten) or it records input
errors.`,
		Example: `  moat report -n shop
  moat report -A -o json
  kubectl moat report -n shop --context prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReport(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.namespace, "namespace", "n", "", "the namespace whose report to print (default: the kubeconfig context's namespace)")
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "print every namespace's report and the cluster report")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: KUBECONFIG, ~/.kube/config, or the in-cluster service account)")
	fl.StringVar(&f.kubeContext, "context", "", "kubeconfig context")
	outputFlag(cmd, &f.output, reportFormats)
	fl.StringVar(&f.failOn, "fail-on", "info", "exit 1 when a failing result is at or above this severity: info, low, medium, high, critical")
	fl.BoolVar(&f.showSuppressed, "show-suppressed", false, "include suppressed findings (skipped results) in the output")
	return cmd
}

func runReport(cmd *cobra.Command, f reportFlags) error {
	if f.allNamespaces && f.namespace != "" {
		return errors.New("give -n NAMESPACE or -A, not both")
	}
	if !slices.Contains(reportFormats, f.output) {
		return fmt.Errorf("--output: unknown output format %q (want table or json)", f.output)
	}
	failOn, err := finding.ParseSeverity(f.failOn)
	if err != nil {
		return fmt.Errorf("--fail-on: %w", err)
	}
	renderer, err := report.Findings.New(f.output, terminal(cmd))
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	reader, ns, err := f.connect()
	if err != nil {
		return err
	}
	rs, err := reader.Read(cmd.Context(), ns)
	if err != nil {
		return err
	}
	rep := findingsReport(rs, f.showSuppressed)
	if f.output != "table" {
		printAll(cmd.ErrOrStderr(), "error:", rep.Errors)
	}
	if err := renderer.Render(cmd.OutOrStdout(), rep); err != nil {
		return err
	}
	return exit(scan.Code(len(rep.Errors) > 0, reaches(rep.Findings, failOn)))
}

// reaches says whether an unsuppressed finding is at or above the gate.
func reaches(fs []finding.Finding, failOn finding.Severity) bool {
	return slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.Suppressed == nil && f.Severity >= failOn })
}

// connect reaches the cluster as kubectl does, and says which namespace to read: "" for
// -A.
func (f reportFlags) connect() (*reports.Reader, string, error) {
	cc := cluster.Config{Kubeconfig: f.kubeconfig, Context: f.kubeContext}
	cfg, err := cc.RESTConfig()
	if err != nil {
		return nil, "", err
	}
	ns := f.namespace
	if ns == "" && !f.allNamespaces {
		if ns, err = cc.Namespace(); err != nil {
			return nil, "", err
		}
	}
	r, err := reports.NewReader(cfg)
	return r, ns, err
}

// findingsReport is what the findings renderers show of reports: suppressed findings
// are counted, and left out unless showSuppressed, as moat scan does.
func findingsReport(rs []reports.Report, showSuppressed bool) *report.Report {
	c := reports.ContentsOf(rs)
	fs := c.Findings
	if !showSuppressed {
		fs = slices.DeleteFunc(fs, func(f finding.Finding) bool { return f.Suppressed != nil })
	}
	return &report.Report{Summary: c.Summary, Findings: fs, Errors: c.Errors, ToolVersion: version}
}

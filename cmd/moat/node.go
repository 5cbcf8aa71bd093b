package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/node"
	"github.com/moat-dev/moat/internal/report"
	"github.com/moat-dev/moat/internal/scan"
)

type nodeFlags struct {
	root, proc, cmdlines, nodeName, layout, kubeVersion string
	pids                                                []int
	output, failOn, config, severity                    string
	rules, skipRule                                     []string
	showSuppressed                                      bool
	interval                                            time.Duration
}

func newNodeCmd() *cobra.Command {
	var f nodeFlags
	cmd := &cobra.Command{
		Use:   "node [--root DIR] [--proc DIR | --cmdlines FILE]",
		Short: "Check this node's Kubernetes components and files (CIS Kubernetes Benchmark sections 1-4)",
		Long: `moat node finds kube-apiserver, kube-controller-manager, kube-scheduler, etcd, the kubelet
and kube-proxy among the processes of /proc, reads their command lines with each
component's own flag types and defaults (the kubelet's config file too), examines the files
they name and the distribution's layout (kubeadm, rke2, k3s) names, and reports what the CIS
Kubernetes Benchmark sections 1-4, encryption at rest, certificates and audit logging ask.

In a pod: hostPID, the host's root mounted read-only at /host, and --root /host --proc /proc.
On a copy of a node's files: --root DIR, with --cmdlines FILE (one command line per line,
as ps -eo args prints them) or, without it, the static pod manifests' command lines.`,
		Example: `  sudo moat node
  moat node --root /host --proc /proc         # in a pod with hostPID and / mounted at /host
  moat node --root ./node-copy --cmdlines ./node-copy/ps.txt -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runNode(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.root, "root", "/", "the node's root directory; every path is read beneath it")
	fl.StringVar(&f.proc, "proc", "", "proc file system to find the component processes in (default /proc when --root is /, else none)")
	fl.StringVar(&f.cmdlines, "cmdlines", "", "file of the components' command lines, one per line, instead of --proc")
	fl.IntSliceVar(&f.pids, "pid", nil, "check only these process ids (repeatable)")
	fl.StringVar(&f.nodeName, "node-name", "", "the node's name in findings (default: the kubelet's --hostname-override, else the host name)")
	fl.StringVar(&f.layout, "layout", "", "file layout: kubeadm, rke2 or k3s (default: detected)")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes release whose flag defaults apply (default: the newest Moat knows)")
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json, sarif, junit, policyreport")
	fl.StringVar(&f.failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity")
	fl.StringVar(&f.config, "config", "", "config file: exceptions and the node: section (layout, paths) (default .moat.yaml if present)")
	fl.StringVar(&f.severity, "severity", "info", "report only findings at or above this severity")
	fl.StringArrayVar(&f.rules, "rule", nil, "report only the rules matching this ID or glob (repeatable)")
	fl.StringArrayVar(&f.skipRule, "skip-rule", nil, "do not run the rules matching this ID or glob (repeatable)")
	fl.BoolVar(&f.showSuppressed, "show-suppressed", false, "include suppressed findings in the output")
	fl.DurationVar(&f.interval, "interval", 0, "check again after this long, forever, printing each report (for a DaemonSet); 0: once")
	return cmd
}

func runNode(cmd *cobra.Command, f nodeFlags) error {
	if f.interval < 0 || (f.interval > 0 && f.interval < time.Minute) {
		return fmt.Errorf("--interval: want 0 (once) or at least 1m, not %s", f.interval)
	}
	for {
		err := checkNode(cmd, f)
		if f.interval == 0 {
			return err
		}
		var ee exitError
		if err != nil && !errors.As(err, &ee) {
			fmt.Fprintln(cmd.ErrOrStderr(), "moat node:", err)
		}
		select {
		case <-cmd.Context().Done():
			return cmd.Context().Err()
		case <-time.After(f.interval):
		}
	}
}

// checkNode checks the node once and renders the report.
func checkNode(cmd *cobra.Command, f nodeFlags) error {
	failOn, err := finding.ParseSeverity(f.failOn)
	if err != nil {
		return fmt.Errorf("--fail-on: %w", err)
	}
	filter, err := scanFlags{severity: f.severity, rules: f.rules, skipRule: f.skipRule}.filter()
	if err != nil {
		return err
	}
	renderer, err := report.Findings.New(f.output, terminal(cmd))
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	section, err := node.ParseConfig(cfg.Node, cfg.File)
	if err != nil {
		return err
	}
	if f.proc != "" && f.cmdlines != "" {
		return fmt.Errorf("--proc and --cmdlines: give one")
	}
	proc := f.proc
	if proc == "" && f.cmdlines == "" && f.root == "/" {
		proc = "/proc"
	}
	if proc != "" {
		if _, err := os.Stat(proc); err != nil {
			return fmt.Errorf("--proc: %w", err)
		}
	}
	layout := f.layout
	if layout == "" {
		layout = section.Layout
	}
	host, err := node.Load(cmd.Context(), node.Options{
		Root: f.root, Proc: proc, Cmdlines: f.cmdlines, PIDs: f.pids, NodeName: f.nodeName,
		Release: f.kubeVersion, Layout: layout, Paths: section.Paths,
	})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	inv := host.Inventory()
	if len(host.Components) == 0 {
		inv.Warnings = append(inv.Warnings, "no Kubernetes component found (kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kubelet, kube-proxy): nothing was checked")
	}
	res := scan.NewEvaluator(scan.Options{
		Rules: node.Rules(), Config: cfg, ShowSuppressed: f.showSuppressed, ToolVersion: version, Filter: filter,
	}).Evaluate(cmd.Context(), inv)
	res.ClusterReportName = "moat-node-" + host.Name
	if f.output != "table" {
		// The table shows them itself; other formats are for machines.
		printAll(cmd.ErrOrStderr(), "error:", res.Errors)
		printAll(cmd.ErrOrStderr(), "warning:", res.Warnings)
	}
	if err := renderer.Render(cmd.OutOrStdout(), &res.Report); err != nil {
		return err
	}
	return exit(res.ExitCode(failOn))
}

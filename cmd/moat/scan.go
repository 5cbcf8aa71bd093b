package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/moat-dev/moat/internal/cluster"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/pss"
	"github.com/moat-dev/moat/internal/report"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/scan"
)

type scanFlags struct {
	output         string
	failOn         string
	config         string
	helmValues     []string
	helmSet        []string
	namespace      string
	pssVersion     string
	showSuppressed bool
	cpuProfile     string

	cluster       bool
	kubeconfig    string
	kubeContext   string
	allNamespaces bool
	readSecrets   bool
}

func newScanCmd() *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan [PATH... | --cluster]",
		Short: "Scan manifests, Helm charts and Kustomize directories (or - for stdin), or a live cluster",
		Example: `  moat scan examples/shop
  moat scan -o sarif deploy/ > moat.sarif
  helm template ./chart | moat scan -
  moat scan --cluster --context prod -n shop`,
		RunE: func(cmd *cobra.Command, args []string) error { return runScan(cmd, args, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json, sarif, junit, policyreport")
	fl.StringVar(&f.failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity: info, low, medium, high, critical")
	fl.StringVar(&f.config, "config", "", "exceptions file (default .moat.yaml in the current directory, if present)")
	fl.StringArrayVarP(&f.helmValues, "helm-values", "f", nil, "values file for Helm charts (repeatable)")
	fl.StringArrayVar(&f.helmSet, "set", nil, "set Helm values on the command line, key=value (repeatable)")
	fl.StringVarP(&f.namespace, "namespace", "n", "", "namespace for Helm releases and objects written without one; with --cluster, the one namespace to scan")
	fl.StringVar(&f.pssVersion, "pss-version", "latest", "Pod Security Standards version: v1.N or latest")
	fl.BoolVar(&f.showSuppressed, "show-suppressed", false, "include suppressed findings in the output")
	fl.BoolVar(&f.cluster, "cluster", false, "scan the live cluster of the kubeconfig's current context instead of PATHs")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file for --cluster (default: KUBECONFIG, ~/.kube/config, or the in-cluster service account)")
	fl.StringVar(&f.kubeContext, "context", "", "kubeconfig context for --cluster")
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "with --cluster, scan every namespace (the default unless -n is given)")
	fl.BoolVar(&f.readSecrets, "read-secrets", false, "with --cluster, read the data of Secrets too (default: their metadata only)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the scan to this file")
	_ = fl.MarkHidden("cpuprofile")
	return cmd
}

func runScan(cmd *cobra.Command, args []string, f scanFlags) error {
	if err := checkScanInput(cmd, args, f); err != nil {
		return err
	}
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if err := pss.ParseVersion(f.pssVersion); err != nil {
		return fmt.Errorf("--pss-version: %w", err)
	}
	failOn, err := finding.ParseSeverity(f.failOn)
	if err != nil {
		return fmt.Errorf("--fail-on: %w", err)
	}
	renderer, err := report.For(f.output)
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	if t, ok := renderer.(*report.Table); ok {
		t.Color = isTerminal(cmd.OutOrStdout()) && os.Getenv("NO_COLOR") == ""
	}
	cfgPath, explicit := f.config, f.config != ""
	if !explicit {
		cfgPath = ".moat.yaml"
	}
	cfg, err := exceptions.Load(cfgPath, explicit)
	if err != nil {
		return err
	}
	var inv *inventory.Inventory
	if f.cluster {
		if inv, err = loadCluster(cmd, f); err != nil {
			return err
		}
	} else {
		inv = inventory.Load(args, inventory.Options{
			HelmValues: f.helmValues, HelmSet: f.helmSet, Namespace: f.namespace, Stdin: cmd.InOrStdin(),
		})
	}
	rep := scan.Run(inv, scan.Options{
		Rule:           rule.Options{PSSVersion: f.pssVersion},
		Config:         cfg,
		ShowSuppressed: f.showSuppressed,
		ToolVersion:    version,
	})
	for _, e := range rep.Errors {
		fmt.Fprintln(cmd.ErrOrStderr(), "error:", e)
	}
	if err := renderer.Render(cmd.OutOrStdout(), rep); err != nil {
		return err
	}
	if code := scan.ExitCode(rep, failOn); code != scan.ExitOK {
		return exitError{code}
	}
	return nil
}

// checkScanInput checks that the scan has one input: PATHs or --cluster, with the flags
// that belong to it.
func checkScanInput(cmd *cobra.Command, args []string, f scanFlags) error {
	if !f.cluster {
		for _, name := range []string{"kubeconfig", "context", "all-namespaces", "read-secrets"} {
			if cmd.Flags().Changed(name) {
				return fmt.Errorf("scan: --%s needs --cluster", name)
			}
		}
		if len(args) == 0 {
			return fmt.Errorf("scan: name at least one PATH (a file, a directory, or - for stdin), or give --cluster")
		}
		return nil
	}
	if len(args) > 0 {
		return fmt.Errorf("scan: give PATHs or --cluster, not both")
	}
	if f.allNamespaces && f.namespace != "" {
		return fmt.Errorf("scan: give -n NAMESPACE or -A, not both")
	}
	return nil
}

// loadCluster reads the inventory of the cluster that the kubeconfig flags name.
func loadCluster(cmd *cobra.Command, f scanFlags) (*inventory.Inventory, error) {
	cfg, err := cluster.Config{Kubeconfig: f.kubeconfig, Context: f.kubeContext}.RESTConfig()
	if err != nil {
		return nil, err
	}
	inv, stats, err := cluster.Load(cmd.Context(), cfg, cluster.Options{Namespace: f.namespace, ReadSecrets: f.readSecrets})
	if err != nil {
		return nil, err
	}
	if note := stats.OwnedNote(); note != "" {
		fmt.Fprintln(cmd.ErrOrStderr(), "note:", note)
	}
	return inv, nil
}

func startCPUProfile(path string) (stop func(), err error) {
	out, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); out.Close() }, nil
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

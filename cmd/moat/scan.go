package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/image"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/paths"
	"github.com/moat-dev/moat/internal/pss"
	"github.com/moat-dev/moat/internal/report"
	"github.com/moat-dev/moat/internal/report/htmlreport"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/scan"
)

type scanFlags struct {
	input          inputFlags
	output         string
	failOn         string
	config         string
	pssVersion     string
	showSuppressed bool
	verbose        bool
	cpuProfile     string
	memProfile     string
	trace          string

	severity        string
	rules, skipRule []string

	images     bool
	imageFlags imageFlags
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
	f.input.register(cmd, inputFeatures{namespace: true, scanCluster: true})
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: table, json, sarif, junit, policyreport, html")
	fl.StringVar(&f.failOn, "fail-on", "high", "exit 1 when a finding is at or above this severity: info, low, medium, high, critical")
	fl.StringVar(&f.config, "config", "", "exceptions file (default .moat.yaml in the current directory, if present)")
	fl.StringVar(&f.pssVersion, "pss-version", "latest", "Pod Security Standards version: v1.N or latest")
	fl.BoolVar(&f.showSuppressed, "show-suppressed", false, "include suppressed findings in the output")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "list the files read and not scanned (not Kubernetes objects) that the summary counts")
	fl.StringVar(&f.severity, "severity", "info", "report only findings at or above this severity (the exit code follows what is reported)")
	fl.StringArrayVar(&f.rules, "rule", nil, "report only the rules matching this ID or glob, e.g. 'pod/*' (repeatable)")
	fl.StringArrayVar(&f.skipRule, "skip-rule", nil, "do not run the rules matching this ID or glob (repeatable)")
	fl.BoolVar(&f.images, "images", false, "also scan the images the workloads run (moat image scan): known vulnerabilities, end-of-life OS, signatures")
	f.imageFlags.register(cmd)
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the scan to this file")
	_ = fl.MarkHidden("cpuprofile")
	fl.StringVar(&f.memProfile, "memprofile", "", "write a heap profile taken after evaluation, before rendering (the peak of live memory), to this file, and an allocation profile of the whole scan to FILE.allocs")
	_ = fl.MarkHidden("memprofile")
	fl.StringVar(&f.trace, "trace", "", "write an execution trace of the scan to this file (go run ./bench/schedtrace FILE shows how busy the CPUs were)")
	_ = fl.MarkHidden("trace")
	return cmd
}

func runScan(cmd *cobra.Command, args []string, f scanFlags) error {
	tuneBatchGC()
	in, err := f.input.input(cmd, args)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	if f.cpuProfile != "" {
		stop, err := record("--cpuprofile", f.cpuProfile, pprof.StartCPUProfile, pprof.StopCPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if f.trace != "" {
		// A CPU profile says what the CPUs did; the trace also says when they were idle.
		stop, err := record("--trace", f.trace, trace.Start, trace.Stop)
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
	filter, err := f.filter()
	if err != nil {
		return err
	}
	opt := terminal(cmd)
	opt.Verbose = f.verbose
	renderer, err := report.Findings.New(f.output, opt)
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	loaded, err := scan.Load(cmd.Context(), in)
	if err != nil {
		return err
	}
	printAll(cmd.ErrOrStderr(), "note:", loaded.Notes)
	var graphs []htmlreport.Graph
	var namespaces, kinds []string
	if f.output == "html" {
		namespaces = loaded.Inventory.Namespaces()
		for _, o := range loaded.Inventory.Objects {
			if k := o.Kind(); !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
		// The page draws the attack paths and the NetworkPolicy connectivity too: they
		// are analysed here, while the inventory is held.
		if graphs, err = reportGraphs(cmd, loaded.Inventory); err != nil {
			return err
		}
	}
	var uses []image.Use
	if f.images {
		uses = image.Uses(loaded.Inventory)
	}
	evaluator := scan.NewEvaluator(scan.Options{
		PSSVersion: f.pssVersion, Config: cfg, ShowSuppressed: f.showSuppressed, ToolVersion: version, Filter: filter,
	})
	res := evaluator.Evaluate(cmd.Context(), loaded.Inventory)
	if f.images {
		if err := addImageFindings(cmd, f.imageFlags, cfg, evaluator, res, uses); err != nil {
			return err
		}
	}
	if f.memProfile != "" {
		if err := writeHeapProfile(f.memProfile, "heap"); err != nil {
			return err
		}
		defer func() { _ = writeHeapProfile(f.memProfile+".allocs", "allocs") }()
	}
	if f.output != "table" {
		// The table shows the errors itself; other formats are for machines, so a
		// person still reads them on stderr.
		printAll(cmd.ErrOrStderr(), "error:", res.Errors)
	}
	if f.output == "html" {
		res.Graphs, res.Namespaces = graphs, namespaces
		// The compliance view counts the controls of the rules that could judge something
		// here: node checks do not run on manifests, and a manifest scan must not read as
		// if CIS section 1 had passed.
		res.Rules = rulesFor(res.Rules, kinds)
	}
	if err := renderer.Render(cmd.OutOrStdout(), &res.Report); err != nil {
		return err
	}
	return exit(res.ExitCode(failOn))
}

// filter reads --severity, --rule and --skip-rule.
func (f scanFlags) filter() (scan.Filter, error) {
	var out scan.Filter
	var err error
	if out.MinSeverity, err = finding.ParseSeverity(f.severity); err != nil {
		return out, fmt.Errorf("--severity: %w", err)
	}
	if out.Rules, err = globs("--rule", f.rules); err != nil {
		return out, err
	}
	out.Skip, err = globs("--skip-rule", f.skipRule)
	return out, err
}

// globs compiles rule-ID globs given on the command line.
func globs(flag string, ss []string) ([]exceptions.Pattern, error) {
	var out []exceptions.Pattern
	for _, s := range ss {
		p, err := exceptions.CompileGlob(s, false)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// loadConfig reads --config, or .moat.yaml in the current directory when it exists.
func loadConfig(path string) (*exceptions.Config, error) {
	if path == "" {
		return exceptions.Load(".moat.yaml", false)
	}
	return exceptions.Load(path, true)
}

// terminal says how human-readable output may be drawn on the command's stdout:
// colour only on a terminal, and never with NO_COLOR set.
func terminal(cmd *cobra.Command) report.Options {
	f, ok := cmd.OutOrStdout().(*os.File)
	isTTY := ok && term.IsTerminal(int(f.Fd()))
	return report.Options{Color: isTTY && os.Getenv("NO_COLOR") == ""}
}

// record starts writing a CPU profile or an execution trace to path: start begins
// it (pprof.StartCPUProfile, trace.Start), and the function returned ends it with end
// and closes the file. flag names the option in errors.
func record(flag, path string, start func(io.Writer) error, end func()) (stop func(), err error) {
	out, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if err := start(out); err != nil {
		out.Close()
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return func() { end(); out.Close() }, nil
}

// writeHeapProfile writes the runtime profile name ("heap" or "allocs") to path. A
// heap profile is of the live objects at the last garbage collection, so one is run
// first: the profile then shows what is held at this point of the scan.
func writeHeapProfile(path, name string) error {
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	defer out.Close()
	runtime.GC()
	if err := pprof.Lookup(name).WriteTo(out, 0); err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	return out.Close()
}

// maxDrawnConnections bounds the connectivity graph of an HTML report: more edges than
// this do not make a readable drawing (moat netpol conns lists them all).
const maxDrawnConnections = 2000

// reportGraphs are the graphs an HTML report draws: the attack paths and the
// NetworkPolicy connectivity of the inventory.
func reportGraphs(cmd *cobra.Command, inv *inventory.Inventory) ([]htmlreport.Graph, error) {
	scan.PrepareTemplates(inv.Objects, nil)
	res, err := paths.Analyze(cmd.Context(), inv, paths.Options{}, paths.Limits{MaxPaths: 50})
	if err != nil {
		return nil, fmt.Errorf("attack paths: %w", err)
	}
	graphs := []htmlreport.Graph{report.AttackPathsGraph(res)}
	a := reach.Analyze(reach.FromInventory(inv), reach.Options{})
	conn, n, ok := report.ConnectionsGraph(a.ConnectionSet().All(), maxDrawnConnections)
	if !ok {
		conn = htmlreport.Graph{ID: "network", Title: "NetworkPolicy connectivity",
			Notes: []string{fmt.Sprintf("%d connections are allowed, too many to draw (more than %d): moat netpol conns lists them, moat netpol explain says why.", n, maxDrawnConnections)}}
	}
	return append(graphs, conn), nil
}

// rulesFor keeps the rules that look at one of kinds (or at any kind).
func rulesFor(rules []*rule.Rule, kinds []string) []*rule.Rule {
	var out []*rule.Rule
	for _, r := range rules {
		if slices.Contains(r.Kinds, "*") || slices.ContainsFunc(r.Kinds, func(k string) bool { return slices.Contains(kinds, k) }) {
			out = append(out, r)
		}
	}
	return out
}

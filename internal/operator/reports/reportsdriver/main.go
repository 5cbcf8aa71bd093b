// Command reportsdriver runs the reports package against an API server for the end-to-end
// test test/kube/e2e/reports_test.go, which lives in a module of its own and so cannot
// import Moat's internal packages. It is not a user's command: `moat serve operator`
// writes reports.
//
//	reportsdriver [-kubeconfig FILE] [-api openreports|wgpolicyk8s] [-max-bytes N]
//	              [-list-metadata=false] COMMAND
//
//	sync NS       make the reports of NS ("" is the cluster report) hold the findings and
//	              input errors read as {"findings": [...], "errors": [...]} on stdin;
//	              print {"wrote": BOOL}
//	prune NS,...  delete Moat's reports of every namespace not listed
//	sizes NS      print the JSON sizes of the parts Build makes of the findings on stdin,
//	              and of one report per object (what Moat does not do), as
//	              {"parts": [BYTES...], "perObject": [BYTES...]}
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/operator/reports"
)

// input is what sync and sizes read on stdin.
type input struct {
	Findings []finding.Finding `json:"findings"`
	Errors   []string          `json:"errors"`
}

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "reportsdriver:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fl := flag.NewFlagSet("reportsdriver", flag.ContinueOnError)
	kubeconfig := fl.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file")
	apiName := fl.String("api", "openreports", "report API: openreports or wgpolicyk8s")
	maxBytes := fl.Int("max-bytes", 0, "most bytes of one report object (0: the default)")
	listMetadata := fl.Bool("list-metadata", true, "list reports as metadata only (NewWriterForConfig), else whole (NewWriter)")
	timeout := fl.Duration("timeout", 2*time.Minute, "time limit of the command")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 2 {
		return errors.New("want COMMAND ARG: sync NS, prune NS,... or sizes NS")
	}
	api, err := reports.ParseAPI(*apiName)
	if err != nil {
		return err
	}
	opt := reports.Options{API: api, MaxBytes: *maxBytes}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	cmd, arg := fl.Arg(0), fl.Arg(1)
	switch cmd {
	case "sizes":
		in, err := readInput(stdin)
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(sizes(opt, arg, in))
	case "sync", "prune":
	default:
		return fmt.Errorf("unknown command %q", cmd)
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", *kubeconfig, err)
	}
	var w *reports.Writer
	if *listMetadata {
		w, err = reports.NewWriterForConfig(cfg, opt)
	} else {
		var dyn dynamic.Interface
		if dyn, err = dynamic.NewForConfig(cfg); err == nil {
			w = reports.NewWriter(dyn, opt)
		}
	}
	if err != nil {
		return err
	}
	if cmd == "prune" {
		keep := map[string]bool{}
		for ns := range strings.SplitSeq(arg, ",") {
			keep[ns] = true
		}
		return w.Prune(ctx, keep)
	}
	in, err := readInput(stdin)
	if err != nil {
		return err
	}
	wrote, err := w.Sync(ctx, arg, in.Findings, in.Errors)
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(map[string]bool{"wrote": wrote})
}

func readInput(r io.Reader) (input, error) {
	var in input
	if err := json.NewDecoder(r).Decode(&in); err != nil {
		return in, fmt.Errorf("stdin: %w", err)
	}
	return in, nil
}

// sizes are the JSON sizes of the parts of ns's report, and of the reports one per object
// would make: each object's findings in a report of their own.
func sizes(opt reports.Options, ns string, in input) map[string][]int {
	out := map[string][]int{}
	for _, u := range reports.Build(opt, ns, in.Findings, in.Errors) {
		out["parts"] = append(out["parts"], jsonSize(u))
	}
	byObject := map[finding.Resource][]finding.Finding{}
	var order []finding.Resource
	for _, f := range in.Findings {
		if byObject[f.Resource] == nil {
			order = append(order, f.Resource)
		}
		byObject[f.Resource] = append(byObject[f.Resource], f)
	}
	for _, r := range order {
		for _, u := range reports.Build(opt, ns, byObject[r], nil) {
			out["perObject"] = append(out["perObject"], jsonSize(u))
		}
	}
	return out
}

func jsonSize(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // Build's objects are JSON
	}
	return len(b)
}

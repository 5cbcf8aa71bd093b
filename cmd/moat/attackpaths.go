package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/paths"
	"github.com/moat-dev/moat/internal/report"
	"github.com/moat-dev/moat/internal/scan"
)

type pathsFlags struct {
	in            inputFlags
	output        string
	breached      []string
	isolatedNodes bool
	maxPaths      int
	chokePoints   int
}

func newAttackPathsCmd() *cobra.Command {
	var f pathsFlags
	cmd := &cobra.Command{
		Use:   "paths [PATH... | --cluster]",
		Short: "Attack paths across layers: from exposed workloads to secrets, nodes and cluster-admin, with the fixes that cut them",
		Long: `moat paths joins the layers Moat analyses into one graph: entry points (workloads
exposed to the internet, or those --assume-breach names), the network (the NetworkPolicy
reachability engine), container escapes to the node, what a node holds, the service
account tokens workloads mount and the RBAC powers those accounts have, and the secrets
workloads read. It lists the shortest path from each entry to each target, worst first,
every step with the finding behind it, and the choke points: the fewest fixes that cut
the most paths. What it assumes is listed, with the flag that tightens it.

Exit codes: 0 no path, 1 paths found, 2 input errors.`,
		Example: `  moat paths examples/shop
  moat paths --cluster -o json
  moat paths deploy/ --assume-breach shop/Deployment/web -o dot | dot -Tsvg > paths.svg`,
		RunE: func(cmd *cobra.Command, args []string) error { return runPaths(cmd, args, f) },
	}
	f.in.reachability = true
	f.in.register(cmd, inputFeatures{namespace: true})
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "table", "output format: "+report.AttackPaths.Choices())
	fl.StringArrayVar(&f.breached, "assume-breach", nil, "a workload to assume breached, NS/KIND/NAME (repeatable): an entry point whether exposed or not")
	fl.BoolVar(&f.isolatedNodes, "isolated-nodes", false, "do not assume any pod may share a node with any other: a node escape reaches only DaemonSets, pods pinned to the node and the kubelet's credentials")
	fl.IntVar(&f.maxPaths, "max-paths", 20, "list at most this many paths, the worst first (0: all); choke points count every path")
	fl.IntVar(&f.chokePoints, "choke-points", 5, "choose at most this many choke points")
	return cmd
}

func runPaths(cmd *cobra.Command, args []string, f pathsFlags) error {
	if f.maxPaths < 0 || f.chokePoints < 1 {
		return fmt.Errorf("--max-paths must be 0 or more and --choke-points 1 or more")
	}
	r, err := report.AttackPaths.New(f.output, terminal(cmd))
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	l, err := f.in.load(cmd, args)
	if err != nil {
		return err
	}
	if errs := scan.PrepareTemplates(l.Inventory.Objects, nil); len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(cmd.ErrOrStderr(), "error:", e)
		}
	}
	res, err := paths.Analyze(cmd.Context(), l.Inventory, paths.Options{Breached: f.breached, IsolatedNodes: f.isolatedNodes},
		paths.Limits{MaxPaths: f.maxPaths, MaxChokePoints: f.chokePoints})
	if err != nil {
		return err
	}
	if err := r.Render(cmd.OutOrStdout(), res); err != nil {
		return err
	}
	code := l.InputCode()
	if code == scan.ExitOK && res.Total > 0 {
		code = scan.ExitFindings
	}
	return exit(code)
}

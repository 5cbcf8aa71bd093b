package main

import (
	"fmt"
	"net/netip"

	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/netpol/generate"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/report"
)

func newNetpolCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "netpol",
		Short: "Which workloads can reach which: NetworkPolicy analysis and generation",
		Long: `Moat computes, from the NetworkPolicies (and AdminNetworkPolicies) as written, which
workloads may open connections to which, on which ports; explains why one connection is
allowed or denied; and writes least-privilege NetworkPolicies inferred from the manifests.`,
	}
	cmd.AddCommand(newNetpolConnsCmd(), newNetpolExplainCmd(), newNetpolGenerateCmd())
	return cmd
}

// netpolInput registers the input flags of a netpol command: a live cluster is read
// with its pods, whose IPs ipBlocks match.
func netpolInput(cmd *cobra.Command, in *inputFlags) {
	in.reachability = true
	in.register(cmd, inputFeatures{namespace: true})
}

// model builds the reachability model of the input and prints its warnings.
func model(cmd *cobra.Command, in *inputFlags, paths []string, opt reach.ModelOptions) (*reach.Model, int, error) {
	l, err := in.load(cmd, paths)
	if err != nil {
		return nil, 0, err
	}
	m := reach.FromInventoryWith(l.Inventory, opt)
	printAll(cmd.ErrOrStderr(), "warning:", m.Warnings)
	return m, l.InputCode(), nil
}

// The rows of `netpol conns --by`.
const (
	byOwner = "owner"
	byPod   = "pod"
)

func newNetpolConnsCmd() *cobra.Command {
	var in inputFlags
	var output, by string
	cmd := &cobra.Command{
		Use:   "conns [PATH... | --cluster]",
		Short: "List every pair of workloads (and outside address ranges) that may connect, with the ports",
		Long: `Pods read from a cluster or a file (kubectl get pods -o yaml) are shown by owner: the
pods of a Deployment (through its ReplicaSet), StatefulSet, DaemonSet or CronJob (through
its Job) are one row, "shop/Deployment/reviews-v1 (3 pods)". Pods of one owner that differ
in their labels (leaving out per-pod labels such as pod-template-hash), or that policies
treat differently (an ipBlock holding the IPs of some), are on rows of their own, and a
note says why. --by pod shows a row per pod, as before, with a controller read with its
pods standing for them.`,
		Example: `  moat netpol conns examples/shop-hardened
  moat netpol conns -o json deploy/
  moat netpol conns --cluster -o dot | dot -Tsvg > conns.svg
  kubectl get pods,netpol -A -o yaml | moat netpol conns --by pod -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if by != byOwner && by != byPod {
				return fmt.Errorf("--by: %q is not one of owner, pod", by)
			}
			r, err := report.Connections.New(output, terminal(cmd))
			if err != nil {
				return fmt.Errorf("--output: %w", err)
			}
			m, code, err := model(cmd, &in, args, reach.ModelOptions{PodsApart: by == byOwner})
			if err != nil {
				return err
			}
			a := reach.Analyze(m, reach.Options{})
			rows := a.WorkloadRows()
			if by == byOwner {
				var notes []string
				rows, notes = a.OwnerRows()
				printAll(cmd.ErrOrStderr(), "note:", notes)
			}
			if err := r.Render(cmd.OutOrStdout(), a.ConnectionsOf(rows).All()); err != nil {
				return err
			}
			return exit(code)
		},
	}
	netpolInput(cmd, &in)
	outputFlag(cmd, &output, report.Connections.Names())
	cmd.Flags().StringVar(&by, "by", byOwner, "one row per owner (the pods of a Deployment together) or per pod: owner|pod")
	return cmd
}

func newNetpolExplainCmd() *cobra.Command {
	var in inputFlags
	var port string
	cmd := &cobra.Command{
		Use:   "explain SRC DST [--port 80/TCP] [PATH... | --cluster]",
		Short: "Say which policies and rules allow or deny connections from SRC to DST",
		Long: `SRC and DST are workloads, written NAMESPACE/KIND/NAME (kubectl's short kinds work:
shop/deploy/api, shop/sts/postgres), or addresses outside the cluster (an IP or a CIDR).
Where pods are read, a pod (shop/pod/api-5d8f-abcde) and its owner (shop/deploy/api, or
its ReplicaSet) both work; an owner whose pods policies treat differently does not: name
one of its pods.`,
		Example: `  moat netpol explain shop/deploy/api shop/sts/postgres --port 5432/TCP examples/shop-hardened
  moat netpol explain shop/deploy/worker 169.254.169.254 examples/shop`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := reach.ParseEndpoint(args[0])
			if err != nil {
				return fmt.Errorf("SRC: %w", err)
			}
			dst, err := reach.ParseEndpoint(args[1])
			if err != nil {
				return fmt.Errorf("DST: %w", err)
			}
			asked, err := reach.ParsePortQuestion(port)
			if err != nil {
				return fmt.Errorf("--port: %w", err)
			}
			m, code, err := model(cmd, &in, args[2:], reach.ModelOptions{PodsApart: true})
			if err != nil {
				return err
			}
			e, err := reach.Analyze(m, reach.Options{}).Explain(src, dst, asked)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), e.String())
			return exit(code)
		},
	}
	netpolInput(cmd, &in)
	cmd.Flags().StringVar(&port, "port", "", "the port to ask about: 80, 80/TCP, 53/UDP, 8000-9000/TCP (default: every port)")
	return cmd
}

func newNetpolGenerateCmd() *cobra.Command {
	var in inputFlags
	var opt generate.Options
	var apiServer []string
	cmd := &cobra.Command{
		Use:   "generate [PATH...]",
		Short: "Write least-privilege NetworkPolicies inferred from the manifests, as YAML",
		Long: `generate reads the workloads and Services of the manifests, infers which workload
talks to which Service (a Service's DNS name or host:port in an environment variable,
an argument or a ConfigMap the workload reads), and writes for each namespace a
default-deny policy, DNS egress to kube-dns, and one policy per workload that allows
exactly the inferred connections. Review the output before applying it.`,
		Example: `  moat netpol generate examples/shop > netpol.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, c := range apiServer {
				p, err := netip.ParsePrefix(c)
				if err != nil {
					return fmt.Errorf("--apiserver-cidr: %w", err)
				}
				opt.APIServer = append(opt.APIServer, p)
			}
			l, err := in.load(cmd, args)
			if err != nil {
				return err
			}
			plan := generate.InferWith(l.Inventory, opt)
			printAll(cmd.ErrOrStderr(), "warning:", plan.Warnings)
			printAll(cmd.ErrOrStderr(), "note:", plan.Notes)
			if err := generate.WriteYAML(cmd.OutOrStdout(), plan); err != nil {
				return err
			}
			return exit(l.InputCode())
		},
	}
	in.register(cmd, inputFeatures{namespace: true})
	cmd.Flags().BoolVar(&opt.Narrow, "narrow", false, "replace the inputs' NetworkPolicies instead of adding to them (the notes name the ones to delete)")
	cmd.Flags().StringArrayVar(&apiServer, "apiserver-cidr", nil, "address range pods reach the API server at (repeatable; default: the inputs' kubernetes endpoints, else any address on 443 and 6443)")
	return cmd
}

package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/moat-dev/moat/internal/cluster"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/netpol/generate"
	"github.com/moat-dev/moat/internal/netpol/reach"
	"github.com/moat-dev/moat/internal/scan"
)

func init() { commands = append(commands, newNetpolCmd) }

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

// netpolInput are the flags every netpol subcommand reads its inventory with.
type netpolInput struct {
	cluster     bool
	kubeconfig  string
	kubeContext string
	namespace   string
	helmValues  []string
	helmSet     []string
}

func (in *netpolInput) register(cmd *cobra.Command, withCluster bool) {
	fl := cmd.Flags()
	fl.StringArrayVarP(&in.helmValues, "helm-values", "f", nil, "values file for Helm charts (repeatable)")
	fl.StringArrayVar(&in.helmSet, "set", nil, "set Helm values on the command line, key=value (repeatable)")
	fl.StringVarP(&in.namespace, "namespace", "n", "", "namespace for objects written without one; with --cluster, the one namespace to read")
	if withCluster {
		fl.BoolVar(&in.cluster, "cluster", false, "read the live cluster of the kubeconfig's current context instead of PATHs (pod IPs are then known)")
		fl.StringVar(&in.kubeconfig, "kubeconfig", "", "kubeconfig file for --cluster")
		fl.StringVar(&in.kubeContext, "context", "", "kubeconfig context for --cluster")
	}
}

// load reads the inventory, printing input errors to stderr; it returns whether there
// were any (exit code 2 once the output is written).
func (in *netpolInput) load(cmd *cobra.Command, paths []string) (*inventory.Inventory, bool, error) {
	if in.cluster {
		if len(paths) > 0 {
			return nil, false, fmt.Errorf("give PATHs or --cluster, not both")
		}
		inv, err := in.loadCluster(cmd)
		if err != nil {
			return nil, false, err
		}
		for _, w := range inv.Warnings {
			fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
		}
		for _, e := range inv.Errors {
			fmt.Fprintln(cmd.ErrOrStderr(), "error:", e)
		}
		return inv, inv.Partial || len(inv.Errors) > 0, nil
	}
	for _, name := range []string{"kubeconfig", "context"} {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			return nil, false, fmt.Errorf("--%s needs --cluster", name)
		}
	}
	if len(paths) == 0 {
		return nil, false, fmt.Errorf("name at least one PATH (a file, a directory, or - for stdin), or give --cluster")
	}
	inv := inventory.Load(paths, inventory.Options{HelmValues: in.helmValues, HelmSet: in.helmSet, Namespace: in.namespace, Stdin: cmd.InOrStdin()})
	for _, e := range inv.Errors {
		fmt.Fprintln(cmd.ErrOrStderr(), "error:", e)
	}
	return inv, len(inv.Errors) > 0, nil
}

// adminKinds are AdminNetworkPolicy and BaselineAdminNetworkPolicy, listed when the
// cluster serves them.
var adminKinds = []cluster.Kind{
	{GVK: schema.GroupVersionKind{Group: reach.AdminGroup, Version: "v1alpha1", Kind: "AdminNetworkPolicy"}, Resource: "adminnetworkpolicies", Optional: true},
	{GVK: schema.GroupVersionKind{Group: reach.AdminGroup, Version: "v1alpha1", Kind: "BaselineAdminNetworkPolicy"}, Resource: "baselineadminnetworkpolicies", Optional: true},
}

// loadCluster reads what `moat scan --cluster` reads, plus the admin policies, plus the
// pods and ReplicaSets and Jobs that the scan leaves out because their controller
// describes them: reachability needs their IPs (an ipBlock matches pods by IP).
// Each extra list holds only kinds whose controllers it does not list, so the
// cluster loader keeps every object of it.
func (in *netpolInput) loadCluster(cmd *cobra.Command) (*inventory.Inventory, error) {
	inv, err := loadCluster(cmd, scanFlags{kubeconfig: in.kubeconfig, kubeContext: in.kubeContext, namespace: in.namespace})
	if err != nil {
		return nil, err
	}
	cfg, err := cluster.Config{Kubeconfig: in.kubeconfig, Context: in.kubeContext}.RESTConfig()
	if err != nil {
		return nil, err
	}
	pick := func(kinds ...string) []cluster.Kind {
		var out []cluster.Kind
		for _, k := range cluster.Kinds() {
			for _, want := range kinds {
				if k.GVK.Kind == want && (k.GVK.Group == "" || k.GVK.Group == "apps" || k.GVK.Group == "batch") {
					out = append(out, k)
				}
			}
		}
		return out
	}
	have := map[string]bool{}
	for _, o := range inv.Objects {
		if uid := string(o.Meta.GetUID()); uid != "" {
			have[uid] = true
		}
	}
	for _, ks := range [][]cluster.Kind{adminKinds, pick("Pod"), pick("ReplicaSet", "Job")} {
		extra, _, err := cluster.Load(cmd.Context(), cfg, cluster.Options{Namespace: in.namespace, Kinds: ks})
		if err != nil {
			return nil, err
		}
		for _, o := range extra.Objects {
			if uid := string(o.Meta.GetUID()); uid == "" || !have[uid] {
				inv.Add(o)
			}
		}
		inv.Warnings = append(inv.Warnings, extra.Warnings...)
		inv.Errors = append(inv.Errors, extra.Errors...)
		inv.Partial = inv.Partial || extra.Partial
	}
	return inv, nil
}

func netpolDone(inputErrors bool) error {
	if inputErrors {
		return exitError{scan.ExitError}
	}
	return nil
}

func warnModel(cmd *cobra.Command, m *reach.Model) {
	for _, w := range m.Warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
}

func newNetpolConnsCmd() *cobra.Command {
	var in netpolInput
	var output string
	cmd := &cobra.Command{
		Use:   "conns [PATH... | --cluster]",
		Short: "List every pair of workloads (and outside address ranges) that may connect, with the ports",
		Example: `  moat netpol conns examples/shop-hardened
  moat netpol conns -o json deploy/
  moat netpol conns --cluster -o dot | dot -Tsvg > conns.svg`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validFormat(output, reach.Formats) {
				return fmt.Errorf("--output: unknown format %q (want %s)", output, strings.Join(reach.Formats, ", "))
			}
			inv, inputErrors, err := in.load(cmd, args)
			if err != nil {
				return err
			}
			m := reach.FromInventory(inv)
			warnModel(cmd, m)
			conns := reach.Analyze(m, reach.Options{}).ConnectionSet()
			if err := reach.WriteConnectionSeq(cmd.OutOrStdout(), output, conns.All()); err != nil {
				return err
			}
			return netpolDone(inputErrors)
		},
	}
	in.register(cmd, true)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: "+strings.Join(reach.Formats, ", "))
	return cmd
}

func validFormat(f string, formats []string) bool {
	for _, x := range formats {
		if f == x {
			return true
		}
	}
	return false
}

func newNetpolExplainCmd() *cobra.Command {
	var in netpolInput
	var port string
	cmd := &cobra.Command{
		Use:   "explain SRC DST [--port 80/TCP] [PATH... | --cluster]",
		Short: "Say which policies and rules allow or deny connections from SRC to DST",
		Long: `SRC and DST are workloads, written NAMESPACE/KIND/NAME (kubectl's short kinds work:
shop/deploy/api, shop/sts/postgres), or addresses outside the cluster (an IP or a CIDR).`,
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
			var asked *reach.PortSet
			if port != "" {
				proto, lo, hi, err := reach.ParsePortFlag(port)
				if err != nil {
					return fmt.Errorf("--port: %w", err)
				}
				ps := reach.PortRange(proto, lo, hi)
				asked = &ps
			}
			inv, inputErrors, err := in.load(cmd, args[2:])
			if err != nil {
				return err
			}
			m := reach.FromInventory(inv)
			warnModel(cmd, m)
			e, err := reach.Analyze(m, reach.Options{}).Explain(src, dst, asked)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), e.String())
			return netpolDone(inputErrors)
		},
	}
	in.register(cmd, true)
	cmd.Flags().StringVar(&port, "port", "", "the port to ask about: 80, 80/TCP, 53/UDP, 8000-9000/TCP (default: every port)")
	return cmd
}

func newNetpolGenerateCmd() *cobra.Command {
	var in netpolInput
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
			inv, inputErrors, err := in.load(cmd, args)
			if err != nil {
				return err
			}
			plan := generate.Infer(inv)
			for _, n := range plan.Notes {
				fmt.Fprintln(cmd.ErrOrStderr(), "note:", n)
			}
			if err := generate.WriteYAML(cmd.OutOrStdout(), plan); err != nil {
				return err
			}
			return netpolDone(inputErrors)
		},
	}
	in.register(cmd, false)
	return cmd
}

// Command nodedata writes internal/node/componentdata/data/<1.N>/components.json from
// the Kubernetes source test/kube pins (see package nodedata): the components' flags,
// admission plugins, feature gates and the kubelet's and kube-proxy's configuration
// defaults, for Moat to read node configuration as the components do.
//
//	go run ./cmd/nodedata              # from test/kube: writes into the repository
//	go run ./cmd/nodedata -data DIR    # writes DIR/<1.N>/components.json
//
// It prints to stderr the configuration flags whose field it could not derive.
// TestNodeData in e2e runs it and fails when the checked-in file differs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"

	"github.com/moat-dev/moat/test/kube/kubetest"
	"github.com/moat-dev/moat/test/kube/nodedata"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "nodedata:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	// A flag set of its own: kube-proxy adds the whole of flag.CommandLine to its
	// flags, so a flag registered there would show up as one of kube-proxy's.
	fs := flag.NewFlagSet("nodedata", flag.ContinueOnError)
	dataDir := fs.String("data", "", "the data directory (default: internal/node/componentdata/data in the repository)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The components log as they are set up (feature gates set, the configuration
	// kube-proxy writes); none of it is the generator's output.
	klog.SetLogger(logr.Discard())
	if *dataDir == "" {
		root, err := kubetest.RepoRoot()
		if err != nil {
			return err
		}
		*dataDir = filepath.Join(root, "internal", "node", "componentdata", "data")
	}
	r, err := nodedata.Generate(context.Background())
	if err != nil {
		return err
	}
	data, err := r.JSON()
	if err != nil {
		return err
	}
	path := filepath.Join(*dataDir, r.Release, "components.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	summarize(r, path)
	return nil
}

// summarize prints what was written and the flags left out of the flagFields.
func summarize(r *nodedata.Result, path string) {
	fmt.Fprintf(os.Stderr, "wrote %s (Kubernetes %s)\n", path, r.Data.Version)
	names := make([]string, 0, len(r.Data.Components))
	for n := range r.Data.Components {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-24s %4d flags\n", n, len(r.Data.Components[n].Flags))
	}
	fmt.Fprintf(os.Stderr, "  admission plugins %d (%d on by default), feature gates %d\n",
		len(r.Data.AdmissionPlugins.All), len(r.Data.AdmissionPlugins.DefaultOn), len(r.Data.FeatureGates))
	fmt.Fprintf(os.Stderr, "  kubelet flag fields %d, kube-proxy flag fields %d\n",
		len(r.Data.Kubelet.FlagFields), len(r.Data.KubeProxy.FlagFields))
	for _, u := range r.Unmapped {
		fmt.Fprintln(os.Stderr, "  no field:", u)
	}
}

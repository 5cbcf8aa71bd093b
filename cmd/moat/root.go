package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	_ "github.com/moat-dev/moat/internal/catalog" // fills the rule registry
	"github.com/moat-dev/moat/internal/scan"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// newRootCmd is the command tree, listed in one place.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "moat",
		Short:         "Moat finds the open doors of a Kubernetes cluster",
		Long:          "Moat scans manifests, Helm charts, Kustomize overlays and live clusters for security problems.",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newScanCmd(),
		newRulesCmd(),
		newRBACCmd(),
		newNetpolCmd(),
		newAuditCmd(),
		newVAPCmd(),
		newNodeCmd(),
		newAttackPathsCmd(),
		newReportCmd(),
		newImageCmd(),
		newDBCmd(),
		newServeCmd(),
	)
	return root
}

func newServeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run Moat as a server: the operator, the admission webhook, the audit webhook receiver",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newServeAdmissionCmd(), newServeAuditCmd(), newServeOperatorCmd())
	return cmd
}

// execute runs the command line and returns the process exit code.
func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	if pluginMode(os.Args[0]) {
		asPlugin(root) // installed as kubectl-moat: usage says "kubectl moat"
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return scan.ExitOK
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintln(stderr, "moat:", err)
		return scan.ExitError
	}
}

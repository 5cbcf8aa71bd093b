package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	_ "github.com/moat-dev/moat/internal/catalog" // fills the rule registry
	"github.com/moat-dev/moat/internal/scan"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// commands are the further top-level commands (rbac, netpol, serve, vap, audit): each
// registers its constructor from init() in its own file, so that the command groups
// stay independent of one another.
var commands []func() *cobra.Command

// exitError carries an exit code out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// execute runs the command line and returns the process exit code.
func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:           "moat",
		Short:         "Moat finds the open doors of a Kubernetes cluster",
		Long:          "Moat scans manifests, Helm charts, Kustomize overlays and live clusters for security problems.",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newScanCmd(), newRulesCmd())
	for _, c := range commands {
		root.AddCommand(c())
	}
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

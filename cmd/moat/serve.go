package main

import "github.com/spf13/cobra"

// serveCommands are the servers Moat runs (serve audit, serve admission): each file that
// has one appends its constructor from init().
var serveCommands []func() *cobra.Command

func init() { commands = append(commands, newServeCmd) }

func newServeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run Moat as a server: the audit webhook receiver, the admission webhook",
		Args:  cobra.NoArgs,
	}
	for _, c := range serveCommands {
		cmd.AddCommand(c())
	}
	return cmd
}

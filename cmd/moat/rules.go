package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/report"
	"github.com/moat-dev/moat/internal/rule"
)

func newRulesCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List every rule with its metadata",
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := report.Rules.New(output, terminal(cmd))
			if err != nil {
				return fmt.Errorf("--output: %w", err)
			}
			return r.Render(cmd.OutOrStdout(), rule.All())
		},
	}
	outputFlag(cmd, &output, report.Rules.Names())
	return cmd
}

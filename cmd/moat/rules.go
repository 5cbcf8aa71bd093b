package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/rule"
)

func newRulesCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List every rule with its metadata",
		RunE: func(cmd *cobra.Command, args []string) error {
			rules := rule.All()
			switch output {
			case "json":
				metas := make([]rule.Meta, len(rules))
				for i, r := range rules {
					metas[i] = r.Meta
				}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"rules": metas})
			case "table":
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE\tFRAMEWORKS")
				for _, r := range rules {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Title, frameworks(r.Meta))
				}
				return tw.Flush()
			}
			return fmt.Errorf("--output: unknown format %q (want table or json)", output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func frameworks(m rule.Meta) string {
	var parts []string
	for _, kv := range [][2]string{{"pss", m.Frameworks.PSS}, {"cis", m.Frameworks.CIS}, {"nsa", m.Frameworks.NSA}, {"mitre", m.Frameworks.MITRE}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+":"+kv[1])
		}
	}
	return strings.Join(parts, " ")
}

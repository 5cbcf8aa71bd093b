package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/admission"
	"github.com/moat-dev/moat/internal/admission/vap"
	"github.com/moat-dev/moat/internal/rule"
)

func newVAPCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vap",
		Short: "Moat's rules as native ValidatingAdmissionPolicies",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newVAPExportCmd())
	return cmd
}

func newVAPExportCmd() *cobra.Command {
	var (
		config, level, output string
		rules                 []string
		list                  bool
	)
	cmd := &cobra.Command{
		Use:   "export [--config FILE] [--rule GLOB]... [--pss-level LEVEL] [--list]",
		Short: "Print every rule that CEL can express as a ValidatingAdmissionPolicy and its binding",
		Long: `Print ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding objects
(admissionregistration.k8s.io/v1), one pair per rule that CEL can express over the one object
under review, so that the API server enforces Moat's rules with no webhook. Each binding's
validation action follows the admission: section of the config (enforce: Deny, warn: Warn,
audit: Audit), and exempt namespaces, users and groups are carried over (literal names only).
--list says, for every rule, whether it is exported and, when not, why.`,
		Example: `  moat vap export | kubectl apply -f -
  moat vap export --pss-level restricted
  moat vap export --list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(config)
			if err != nil {
				return err
			}
			settings, err := admission.ParseSettings(cfg)
			if err != nil {
				return err
			}
			opt := vap.Options{Settings: settings, PodSecurity: level}
			switch level {
			case "", "baseline", "restricted":
			default:
				return fmt.Errorf("--pss-level %q: want baseline or restricted", level)
			}
			if opt.Rules, err = globs("--rule", rules); err != nil {
				return err
			}
			r, err := vap.NewRenderer(output)
			if err != nil {
				return fmt.Errorf("--output: %w", err)
			}
			e := &vap.Exported{Options: opt}
			e.Policies, e.Skipped = vap.Export(rule.All(), opt)
			if list {
				return vap.WriteList(cmd.OutOrStdout(), e)
			}
			if len(e.Policies) == 0 {
				return fmt.Errorf("no rule selected can be exported")
			}
			return r.Render(cmd.OutOrStdout(), e)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&config, "config", "", "config file whose admission: section sets actions and exemptions (default .moat.yaml, if present)")
	fl.StringArrayVar(&rules, "rule", nil, "export only the rules matching this glob (repeatable)")
	fl.StringVar(&level, "pss-level", "", "export only the Pod Security rules at or below this level: baseline or restricted")
	fl.BoolVar(&list, "list", false, "list every rule, exported or not, with the reason")
	outputFlag(cmd, &output, vap.Formats)
	return cmd
}

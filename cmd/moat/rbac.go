package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/rbac"
	"github.com/moat-dev/moat/internal/rbac/authz"
	"github.com/moat-dev/moat/internal/rbac/paths"
	"github.com/moat-dev/moat/internal/report"
)

func newRBACCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rbac",
		Short: "Answer RBAC questions exactly as the API server would: who-can, can, paths",
	}
	cmd.AddCommand(newWhoCanCmd(), newCanCmd(), newRBACCheckCmd(), newPathsCmd())
	return cmd
}

func newWhoCanCmd() *cobra.Command {
	var in inputFlags
	var output, group, name, namespace string
	var everywhere bool
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE[/SUBRESOURCE] [PATH... | --cluster]",
		Short: "List the users, groups and service accounts a request is allowed for",
		Long: `who-can answers as the API server's RBAC authorizer would: the ClusterRoleBindings, and
with -n the RoleBindings of that namespace. Without -n the question is cluster-wide, as a
SubjectAccessReview without a namespace (cluster-scoped resources, or all namespaces at
once); with -A it is answered cluster-wide and then in every namespace the input knows,
one list each. RESOURCE may be RESOURCE.GROUP (deployments.apps) or a non-resource URL
that begins with "/". The group system:masters is always listed: the API server allows
its members everything.

-n is also, as for kubectl, the namespace of the objects of PATHs written without one
(and of Helm releases); with --cluster only that namespace's Roles and RoleBindings are
read. For PATHs, the roles and bindings every cluster has (admin, edit, view, system:*,
and the Roles of kube-system) are those of --kube-version, unless the PATHs define
their own.`,
		Example: `  moat rbac who-can get secrets -n shop examples/shop
  moat rbac who-can get secrets -A examples/shop
  moat rbac who-can create pods/exec -n kube-system --cluster
  moat rbac who-can get /metrics --cluster -o json`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if everywhere && namespace != "" {
				return fmt.Errorf("give -n NAMESPACE or -A, not both")
			}
			q, err := authz.ParseQuestion(args[0], args[1], group, name, namespace)
			if err != nil {
				return err
			}
			in.namespace = namespace
			l, err := in.load(cmd, args[2:])
			if err != nil {
				return err
			}
			p := rbac.PolicyOf(l.Inventory)
			if everywhere {
				err = renderTo(cmd, report.WhoCanEverywhere, output, p.WhoCanEverywhere(q, l.Namespaces()))
			} else {
				err = renderTo(cmd, report.WhoCan, output, p.WhoCan(q))
			}
			if err != nil {
				return err
			}
			return exit(l.InputCode())
		},
	}
	in.register(cmd, inputFeatures{})
	outputFlag(cmd, &output, report.WhoCan.Names())
	cmd.Flags().StringVar(&group, "api-group", "", "API group of the resource (default: the core group, or GROUP of RESOURCE.GROUP)")
	cmd.Flags().StringVar(&name, "name", "", "name of the object the request is about")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the request (default: cluster-wide), and of the objects of PATHs written without one")
	cmd.Flags().BoolVarP(&everywhere, "all-namespaces", "A", false, "answer cluster-wide and in every namespace the input knows, one list each")
	return cmd
}

// renderTo renders v in the format of the command's -o.
func renderTo[T any](cmd *cobra.Command, doc *report.Formats[T], format string, v T) error {
	r, err := doc.New(format, terminal(cmd))
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	return r.Render(cmd.OutOrStdout(), v)
}

func newCanCmd() *cobra.Command {
	var in inputFlags
	var output, namespace string
	var groups []string
	cmd := &cobra.Command{
		Use:   "can SUBJECT [PATH... | --cluster]",
		Short: "List everything one subject may do (like kubectl auth can-i --list, for anyone)",
		Long: `can lists the rules that apply to SUBJECT: user:NAME, group:NAME or sa:NAMESPACE/NAME,
from the ClusterRoleBindings and, with -n, the RoleBindings of that namespace. A user
is taken to be in system:authenticated (add more groups with --group); a service account
is in system:serviceaccounts, system:serviceaccounts:NS and system:authenticated.

-n is also, as for kubectl, the namespace of the objects of PATHs written without one
(and of Helm releases); with --cluster only that namespace's Roles and RoleBindings are
read. For PATHs, the roles and bindings every cluster has (admin, edit, view, system:*)
are those of --kube-version, unless the PATHs define their own.`,
		Example: `  moat rbac can sa:ci/deployer -n ci examples/shop
  moat rbac can user:alice --group dev --cluster`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := authz.ParseSubject(args[0], groups)
			if err != nil {
				return err
			}
			r, err := report.Can.New(output, terminal(cmd))
			if err != nil {
				return fmt.Errorf("--output: %w", err)
			}
			in.namespace = namespace
			l, err := in.load(cmd, args[1:])
			if err != nil {
				return err
			}
			if err := r.Render(cmd.OutOrStdout(), rbac.PolicyOf(l.Inventory).RulesFor(id.User, id.Groups, namespace)); err != nil {
				return err
			}
			return exit(l.InputCode())
		},
	}
	in.register(cmd, inputFeatures{})
	outputFlag(cmd, &output, report.Can.Names())
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the rules listed (default: cluster-wide rules only), and of the objects of PATHs written without one")
	cmd.Flags().StringArrayVar(&groups, "group", nil, "a further group of the subject (repeatable)")
	return cmd
}

// newRBACCheckCmd is hidden: it answers many SubjectAccessReview-shaped questions at
// once, for tests that compare Moat with a real API server. --questions names a JSON file
// holding an array of questions (fields as in authz.Request: user, groups, verb, apiGroup,
// resource, subresource, name, namespace, nonResource, path); the output is a JSON array
// of answers in the same order: {"allowed": bool, "via": {...}}.
func newRBACCheckCmd() *cobra.Command {
	var in inputFlags
	var questions string
	cmd := &cobra.Command{
		Use:    "check --questions FILE [PATH... | --cluster]",
		Short:  "Answer a JSON array of access questions (for tests)",
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			qs, err := readQuestions(questions)
			if err != nil {
				return err
			}
			l, err := in.load(cmd, args)
			if err != nil {
				return err
			}
			if err := json.NewEncoder(cmd.OutOrStdout()).Encode(rbac.PolicyOf(l.Inventory).Answer(qs)); err != nil {
				return err
			}
			return exit(l.InputCode())
		},
	}
	in.register(cmd, inputFeatures{namespace: true})
	cmd.Flags().StringVar(&questions, "questions", "", "JSON file with an array of questions")
	_ = cmd.MarkFlagRequired("questions")
	return cmd
}

func readQuestions(path string) ([]authz.Request, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var qs []authz.Request
	if err := json.Unmarshal(b, &qs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return qs, nil
}

func newPathsCmd() *cobra.Command {
	var in inputFlags
	var output string
	cmd := &cobra.Command{
		Use:   "paths [PATH... | --cluster]",
		Short: "Find privilege-escalation chains to cluster-admin or to reading every Secret",
		Long: `paths lists, for every user, group and service account, the shortest chain of risky
permissions that leads to cluster-admin equivalence or to reading every Secret of the
cluster. Each step is a primitive of the rbac/* catalogue, e.g. create pods in ns ci →
run as ServiceAccount ci/deployer → bind ClusterRole cluster-admin → cluster-admin.
-o dot draws the union of the paths for Graphviz.`,
		Example: `  moat rbac paths examples/shop
  moat rbac paths --cluster -o dot | dot -Tsvg > paths.svg`,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := report.Paths.New(output, terminal(cmd))
			if err != nil {
				return fmt.Errorf("--output: %w", err)
			}
			l, err := in.load(cmd, args)
			if err != nil {
				return err
			}
			if err := r.Render(cmd.OutOrStdout(), paths.Find(paths.FromInventory(l.Inventory))); err != nil {
				return err
			}
			return exit(l.InputCode())
		},
	}
	in.register(cmd, inputFeatures{namespace: true})
	outputFlag(cmd, &output, report.Paths.Names())
	return cmd
}

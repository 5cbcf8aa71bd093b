package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rbac"
	"github.com/moat-dev/moat/internal/rbac/authz"
	"github.com/moat-dev/moat/internal/rbac/paths"
	"github.com/moat-dev/moat/internal/scan"
)

func init() { commands = append(commands, newRBACCmd) }

func newRBACCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rbac",
		Short: "Answer RBAC questions exactly as the API server would: who-can, can, paths",
	}
	cmd.AddCommand(newWhoCanCmd(), newCanCmd(), newRBACCheckCmd(), newPathsCmd())
	return cmd
}

// rbacInput are the flags every rbac subcommand reads its inventory with.
type rbacInput struct {
	cluster     bool
	kubeconfig  string
	kubeContext string
	output      string
}

func (in *rbacInput) register(cmd *cobra.Command, formats string) {
	fl := cmd.Flags()
	fl.BoolVar(&in.cluster, "cluster", false, "read the RBAC objects of the live cluster of the kubeconfig's current context instead of PATHs")
	fl.StringVar(&in.kubeconfig, "kubeconfig", "", "kubeconfig file for --cluster")
	fl.StringVar(&in.kubeContext, "context", "", "kubeconfig context for --cluster")
	fl.StringVarP(&in.output, "output", "o", "table", "output format: "+formats)
}

// load reads the inventory from PATHs or the cluster (every namespace), printing input
// errors to stderr; it returns whether there were any (exit code 2 after the output).
func (in *rbacInput) load(cmd *cobra.Command, paths []string) (*inventory.Inventory, bool, error) {
	if in.cluster {
		if len(paths) > 0 {
			return nil, false, fmt.Errorf("give PATHs or --cluster, not both")
		}
		inv, err := loadCluster(cmd, scanFlags{kubeconfig: in.kubeconfig, kubeContext: in.kubeContext})
		if err != nil {
			return nil, false, err
		}
		for _, w := range inv.Warnings {
			fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
		}
		return inv, inv.Partial, nil
	}
	for _, name := range []string{"kubeconfig", "context"} {
		if cmd.Flags().Changed(name) {
			return nil, false, fmt.Errorf("--%s needs --cluster", name)
		}
	}
	if len(paths) == 0 {
		return nil, false, fmt.Errorf("name at least one PATH (a file, a directory, or - for stdin), or give --cluster")
	}
	inv := inventory.Load(paths, inventory.Options{Stdin: cmd.InOrStdin()})
	for _, e := range inv.Errors {
		fmt.Fprintln(cmd.ErrOrStderr(), "error:", e)
	}
	return inv, len(inv.Errors) > 0, nil
}

// done turns input errors into exit code 2 once the output is written.
func done(inputErrors bool) error {
	if inputErrors {
		return exitError{scan.ExitError}
	}
	return nil
}

func newWhoCanCmd() *cobra.Command {
	var in rbacInput
	var group, name, namespace string
	cmd := &cobra.Command{
		Use:   "who-can VERB RESOURCE[/SUBRESOURCE] [PATH... | --cluster]",
		Short: "List the users, groups and service accounts a request is allowed for",
		Long: `who-can answers as the API server's RBAC authorizer would: the ClusterRoleBindings, and
with -n the RoleBindings of that namespace. Without -n the question is cluster-wide, as a
SubjectAccessReview without a namespace (cluster-scoped resources, or all namespaces at
once). RESOURCE may be RESOURCE.GROUP (deployments.apps) or a non-resource URL that
begins with "/". The group system:masters is always listed: the API server allows its
members everything.`,
		Example: `  moat rbac who-can get secrets -n shop examples/shop
  moat rbac who-can create pods/exec -n kube-system --cluster
  moat rbac who-can get /metrics --cluster -o json`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := parseQuestion(args[0], args[1], group, name, namespace)
			if err != nil {
				return err
			}
			inv, bad, err := in.load(cmd, args[2:])
			if err != nil {
				return err
			}
			subjects := rbac.PolicyOf(inv).WhoCan(q)
			if err := writeWhoCan(cmd.OutOrStdout(), in.output, subjects); err != nil {
				return err
			}
			return done(bad)
		},
	}
	in.register(cmd, "table or json")
	cmd.Flags().StringVar(&group, "api-group", "", "API group of the resource (default: the core group, or GROUP of RESOURCE.GROUP)")
	cmd.Flags().StringVar(&name, "name", "", "name of the object the request is about")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace of the request (default: cluster-wide)")
	return cmd
}

// parseQuestion reads VERB and RESOURCE[/SUBRESOURCE], RESOURCE.GROUP or /URL.
func parseQuestion(verb, resource, group, name, namespace string) (authz.Request, error) {
	q := authz.Request{Verb: verb, Name: name, Namespace: namespace}
	if verb == "" {
		return q, fmt.Errorf("VERB is empty")
	}
	if strings.HasPrefix(resource, "/") {
		if group != "" || name != "" || namespace != "" {
			return q, fmt.Errorf("a non-resource URL (%s) takes no --api-group, --name or -n", resource)
		}
		return authz.Request{Verb: verb, NonResource: true, Path: resource}, nil
	}
	res, sub, _ := strings.Cut(resource, "/")
	if res == "" || strings.Contains(sub, "/") {
		return q, fmt.Errorf("RESOURCE %q: want RESOURCE, RESOURCE/SUBRESOURCE or /URL", resource)
	}
	if r, g, ok := strings.Cut(res, "."); ok && group == "" {
		res, group = r, g
	}
	if res == "" {
		return q, fmt.Errorf("RESOURCE %q: want RESOURCE, RESOURCE.GROUP, RESOURCE/SUBRESOURCE or /URL", resource)
	}
	q.Resource, q.Subresource, q.APIGroup = res, sub, group
	return q, nil
}

func writeWhoCan(w io.Writer, format string, subjects []authz.Subject) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"subjects": subjects})
	case "table":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tNAMESPACE\tNAME\tBINDING\tROLE")
		for _, s := range subjects {
			for i, v := range s.Via {
				if i == 0 {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Kind, orDash(s.Namespace), s.Name, v.Binding, v.Role)
				} else {
					fmt.Fprintf(tw, "\t\t\t%s\t%s\n", v.Binding, v.Role)
				}
			}
		}
		return tw.Flush()
	}
	return fmt.Errorf("--output: unknown format %q (want table or json)", format)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// identity is who a `can` question is about.
type identity struct {
	user   string
	groups []string
}

// parseSubject reads user:NAME, group:NAME or sa:NS/NAME. Users get the groups the API
// server's authenticator adds (system:authenticated, or system:unauthenticated for
// system:anonymous) and the extra ones given; service accounts get theirs; a group is
// asked about alone.
func parseSubject(s string, extra []string) (identity, error) {
	kind, name, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return identity{}, fmt.Errorf("SUBJECT %q: want user:NAME, group:NAME or sa:NS/NAME", s)
	}
	switch kind {
	case "user":
		g := authz.GroupAuthenticated
		if name == authz.UserAnonymous {
			g = authz.GroupUnauthenticated
		}
		return identity{user: name, groups: append([]string{g}, extra...)}, nil
	case "group":
		return identity{groups: append([]string{name}, extra...)}, nil
	case "sa", "serviceaccount":
		ns, n, ok := strings.Cut(name, "/")
		if !ok || ns == "" || n == "" {
			return identity{}, fmt.Errorf("SUBJECT %q: want sa:NAMESPACE/NAME", s)
		}
		return identity{user: authz.ServiceAccountUser(ns, n), groups: append(authz.ServiceAccountGroups(ns), extra...)}, nil
	}
	return identity{}, fmt.Errorf("SUBJECT %q: kind %q is not user, group or sa", s, kind)
}

func newCanCmd() *cobra.Command {
	var in rbacInput
	var namespace string
	var groups []string
	cmd := &cobra.Command{
		Use:   "can SUBJECT [PATH... | --cluster]",
		Short: "List everything one subject may do (like kubectl auth can-i --list, for anyone)",
		Long: `can lists the rules that apply to SUBJECT: user:NAME, group:NAME or sa:NAMESPACE/NAME,
from the ClusterRoleBindings and, with -n, the RoleBindings of that namespace. A user
is taken to be in system:authenticated (add more groups with --group); a service account
is in system:serviceaccounts, system:serviceaccounts:NS and system:authenticated.`,
		Example: `  moat rbac can sa:ci/deployer -n ci examples/shop
  moat rbac can user:alice --group dev --cluster`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseSubject(args[0], groups)
			if err != nil {
				return err
			}
			inv, bad, err := in.load(cmd, args[1:])
			if err != nil {
				return err
			}
			rules := rbac.PolicyOf(inv).RulesFor(id.user, id.groups, namespace)
			if err := writeCan(cmd.OutOrStdout(), in.output, rules); err != nil {
				return err
			}
			return done(bad)
		},
	}
	in.register(cmd, "table or json")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "namespace (default: cluster-wide rules only)")
	cmd.Flags().StringArrayVar(&groups, "group", nil, "a further group of the subject (repeatable)")
	return cmd
}

// canRule is one line of `moat rbac can -o json`.
type canRule struct {
	Verbs           []string  `json:"verbs"`
	APIGroups       []string  `json:"apiGroups,omitempty"`
	Resources       []string  `json:"resources,omitempty"`
	ResourceNames   []string  `json:"resourceNames,omitempty"`
	NonResourceURLs []string  `json:"nonResourceURLs,omitempty"`
	Via             authz.Via `json:"via"`
}

func writeCan(w io.Writer, format string, rules []authz.GrantedRule) error {
	out := make([]canRule, len(rules))
	for i, r := range rules {
		g := authz.Grant{Binding: r.Binding, Privileged: r.Binding == nil}
		out[i] = canRule{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs, g.Via()}
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"rules": out})
	case "table":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RESOURCES\tNON-RESOURCE URLS\tRESOURCE NAMES\tVERBS\tBINDING\tROLE")
		for _, r := range out {
			var res []string
			for _, x := range r.Resources {
				for _, g := range r.APIGroups {
					if g == "" {
						res = append(res, x)
					} else {
						res = append(res, x+"."+g)
					}
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", list(res), list(r.NonResourceURLs), list(r.ResourceNames), list(r.Verbs), r.Via.Binding, r.Via.Role)
		}
		return tw.Flush()
	}
	return fmt.Errorf("--output: unknown format %q (want table or json)", format)
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "[]"
	}
	return "[" + strings.Join(xs, " ") + "]"
}

// newRBACCheckCmd is hidden: it answers many SubjectAccessReview-shaped questions at
// once, for tests that compare Moat with a real API server. --questions names a JSON file
// holding an array of questions (fields as in authz.Request: user, groups, verb, apiGroup,
// resource, subresource, name, namespace, nonResource, path); the output is a JSON array
// of answers in the same order: {"allowed": bool, "via": {...}}.
func newRBACCheckCmd() *cobra.Command {
	var in rbacInput
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
			inv, bad, err := in.load(cmd, args)
			if err != nil {
				return err
			}
			p := rbac.PolicyOf(inv)
			type answer struct {
				Allowed bool       `json:"allowed"`
				Via     *authz.Via `json:"via,omitempty"`
			}
			out := make([]answer, len(qs))
			for i, q := range qs {
				ok, g := p.Allows(q)
				out[i].Allowed = ok
				if ok {
					v := g.Via()
					out[i].Via = &v
				}
			}
			if err := json.NewEncoder(cmd.OutOrStdout()).Encode(out); err != nil {
				return err
			}
			return done(bad)
		},
	}
	in.register(cmd, "json")
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
	var in rbacInput
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
			switch in.output {
			case "table", "json", "dot":
			default:
				return fmt.Errorf("--output: unknown format %q (want table, json or dot)", in.output)
			}
			inv, bad, err := in.load(cmd, args)
			if err != nil {
				return err
			}
			ps := paths.Find(paths.FromInventory(inv))
			if err := writePaths(cmd.OutOrStdout(), in.output, ps); err != nil {
				return err
			}
			return done(bad)
		},
	}
	in.register(cmd, "table, json or dot")
	return cmd
}

func writePaths(w io.Writer, format string, ps []paths.Path) error {
	switch format {
	case "json":
		if ps == nil {
			ps = []paths.Path{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"paths": ps})
	case "dot":
		return paths.WriteDot(w, ps)
	}
	if len(ps) == 0 {
		_, err := fmt.Fprintln(w, "no escalation paths to cluster-admin or to reading every Secret")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBJECT\tGOAL\tSTEPS\tPATH")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", p.Subject, p.Goal, len(p.Steps), p.Describe())
	}
	return tw.Flush()
}

package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/operator/reports"
	"github.com/moat-dev/moat/internal/report"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/scan"
)

type reportFlags struct {
	namespace               string
	allNamespaces           bool
	kubeconfig, kubeContext string
	output                  string
	failOn                  string
	showSuppressed          bool
}

// reportFormats are the formats of `moat report`: the findings' table and JSON.
var reportFormats = []string{"table", "json"}

func newReportCmd() *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report [-n NAMESPACE | -A]",
		Short: "Print the findings of the reports the Moat operator keeps in the cluster",
		Long: `Reads the reports the Moat operator keeps current in the cluster (moat serve operator, the
Helm chart deploy/charts/moat): the Report of a namespace (openreports.io/v1alpha1), or, where
the operator writes the older API, its PolicyReport (wgpolicyk8s.io/v1alpha2), all its parts,
and prints their results as moat scan prints findings. -A reads every namespace's report and
the cluster report (cluster-scoped resources, and what the operator could not read).

The namespace is the kubeconfig context's, as for kubectl, unless -n or -A is given.

Exit codes: 0 no failing result at or above --fail-on, 1 some, 2 the report could not be read
(no report for the namespace, no permission, a report being rewritten) or it records input
errors.`,
		Example: `  moat report -n shop
  moat report -A -o json
  kubectl moat report -n shop --context prod`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReport(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.namespace, "namespace", "n", "", "the namespace whose report to print (default: the kubeconfig context's namespace)")
	fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "print every namespace's report and the cluster report")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: KUBECONFIG, ~/.kube/config, or the in-cluster service account)")
	fl.StringVar(&f.kubeContext, "context", "", "kubeconfig context")
	outputFlag(cmd, &f.output, reportFormats)
	fl.StringVar(&f.failOn, "fail-on", "info", "exit 1 when a failing result is at or above this severity: info, low, medium, high, critical")
	fl.BoolVar(&f.showSuppressed, "show-suppressed", false, "include suppressed findings (skipped results) in the output")
	return cmd
}

func runReport(cmd *cobra.Command, f reportFlags) error {
	if f.allNamespaces && f.namespace != "" {
		return errors.New("give -n NAMESPACE or -A, not both")
	}
	if !slices.Contains(reportFormats, f.output) {
		return fmt.Errorf("--output: unknown output format %q (want table or json)", f.output)
	}
	failOn, err := finding.ParseSeverity(f.failOn)
	if err != nil {
		return fmt.Errorf("--fail-on: %w", err)
	}
	renderer, err := report.Findings.New(f.output, terminal(cmd))
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	client, ns, err := f.connect()
	if err != nil {
		return err
	}
	read, err := client.read(cmd.Context(), ns)
	if err != nil {
		return err
	}
	rep := read.report(f.showSuppressed)
	if f.output != "table" {
		printAll(cmd.ErrOrStderr(), "error:", rep.Errors)
	}
	if err := renderer.Render(cmd.OutOrStdout(), rep); err != nil {
		return err
	}
	return exit(scan.Code(len(rep.Errors) > 0, reaches(rep.Findings, failOn)))
}

// reaches says whether an unsuppressed finding is at or above the gate.
func reaches(fs []finding.Finding, failOn finding.Severity) bool {
	return slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.Suppressed == nil && f.Severity >= failOn })
}

// connect resolves the kubeconfig as kubectl does, and the namespace to read: "" for -A.
func (f reportFlags) connect() (*reportClient, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = f.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: f.kubeContext})
	cfg, err := cc.ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, "", errors.New("no cluster configured: give --kubeconfig, set KUBECONFIG, or run inside a pod")
		}
		return nil, "", fmt.Errorf("cluster configuration: %w", err)
	}
	ns := f.namespace
	if ns == "" && !f.allNamespaces {
		if ns, _, err = cc.Namespace(); err != nil {
			return nil, "", fmt.Errorf("cluster configuration: %w", err)
		}
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, "", err
	}
	return &reportClient{dyn: dyn, disc: disc, host: cfg.Host}, ns, nil
}

// reportClient reads Moat's reports through the API server.
type reportClient struct {
	dyn  dynamic.Interface
	disc discovery.DiscoveryInterface
	host string
}

// readAttempts bounds how often a report caught mid-rewrite (its parts from different
// writes) is read again.
const readAttempts = 4

// reportAPIs are the report APIs in the order they are tried: the operator writes one,
// and a cluster may serve both (the chart installs both sets of CRDs).
var reportAPIs = []reports.API{reports.OpenReports, reports.WGPolicy}

// read returns the reports of namespace ns ("" is every namespace and the cluster
// report), from the first served API that has any. A namespace without a report, an API
// the server does not serve or a permission the credentials lack is an error that says
// what to do.
func (c *reportClient) read(ctx context.Context, ns string) (*reportSet, error) {
	served, err := c.served()
	if err != nil {
		return nil, err
	}
	if len(served) == 0 {
		return nil, errors.New("the cluster serves no report API Moat writes (openreports.io/v1alpha1 or wgpolicyk8s.io/v1alpha2): install Moat's chart (deploy/charts/moat), which installs the CRDs and the operator")
	}
	for _, api := range served {
		set, err := c.readAPI(ctx, api, ns)
		if set != nil || err != nil {
			return set, err
		}
	}
	if ns == "" {
		return nil, errors.New("the cluster holds no Moat report: is the Moat operator running (helm install moat deploy/charts/moat)?")
	}
	return nil, fmt.Errorf("namespace %q has no Moat report: the operator writes one (moat-%s) for every namespace that holds objects; check that the namespace exists and that the Moat operator runs (kubectl get pods -l app.kubernetes.io/component=operator -A)", ns, ns)
}

// readAPI reads the reports of one API, nil when there is none. A report caught while
// the operator rewrites it (its parts from different writes) is read again, a few
// times, a little later each time.
func (c *reportClient) readAPI(ctx context.Context, api reports.API, ns string) (*reportSet, error) {
	for attempt := 1; ; attempt++ {
		objs, err := c.list(ctx, api, ns)
		if err != nil || len(objs) == 0 {
			return nil, err
		}
		groups, err := assemble(objs)
		var torn *tornReportError
		if !errors.As(err, &torn) || attempt == readAttempts {
			if err != nil {
				return nil, err
			}
			return &reportSet{groups: groups}, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
}

// served lists the report APIs the API server serves, in reportAPIs order.
func (c *reportClient) served() ([]reports.API, error) {
	var out []reports.API
	for _, api := range reportAPIs {
		gvr, _ := api.Resources()
		rl, err := c.disc.ServerResourcesForGroupVersion(gvr.GroupVersion().String())
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("cannot reach the cluster at %s: %w", c.host, err)
		}
		if slices.ContainsFunc(rl.APIResources, func(r metav1.APIResource) bool { return r.Name == gvr.Resource }) {
			out = append(out, api)
		}
	}
	return out, nil
}

// listPage is how many reports one list request asks for: each may be up to a MiB.
const listPage = 16

// list lists Moat's reports of an API: of namespace ns, or of every namespace and the
// cluster reports when ns is "".
func (c *reportClient) list(ctx context.Context, api reports.API, ns string) ([]*unstructured.Unstructured, error) {
	namespaced, clusterRes := api.Resources()
	out, err := c.listResource(ctx, namespaced, ns)
	if err != nil || ns != "" {
		return out, err
	}
	cl, err := c.listResource(ctx, clusterRes, "")
	return append(out, cl...), err
}

func (c *reportClient) listResource(ctx context.Context, gvr schema.GroupVersionResource, ns string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	opts := metav1.ListOptions{LabelSelector: reports.ManagedSelector, Limit: listPage}
	for {
		l, err := c.dyn.Resource(gvr).Namespace(ns).List(ctx, opts)
		if err != nil {
			return nil, listError(gvr, ns, err)
		}
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			return out, nil
		}
	}
}

// listError says why reports could not be listed, and what permission is missing.
func listError(gvr schema.GroupVersionResource, ns string, err error) error {
	where := "in all namespaces"
	if ns != "" {
		where = fmt.Sprintf("in namespace %q", ns)
	}
	res := gvr.GroupResource().String()
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("cannot list %s %s: the credentials lack RBAC \"list\" on %q there (kubectl auth can-i list %s -n NAMESPACE)", res, where, res, res)
	}
	return fmt.Errorf("cannot list %s %s: %w", res, where, err)
}

// reportGroup is one report: its parts in order.
type reportGroup struct {
	namespace, name string
	parts           []*unstructured.Unstructured
}

func (g reportGroup) String() string {
	if g.namespace == "" {
		return g.name
	}
	return g.namespace + "/" + g.name
}

// tornReportError is a report whose parts come from different writes: the operator is
// rewriting it. Reading again soon finds it whole.
type tornReportError struct {
	report string
	why    string
}

func (e *tornReportError) Error() string {
	return fmt.Sprintf("report %s is being rewritten (%s); try again", e.report, e.why)
}

// assemble groups report objects into reports, each with its parts 1..N in order. Part
// n of a report named NAME is NAME-part-n (NAME itself for part 1) and carries the
// labels reports.moat.dev/part=n and reports.moat.dev/parts=N; a report without those
// labels (written by `moat scan -o policyreport`) is one part. Parts numbered beyond
// part 1's count are left over from a longer report and about to be deleted.
func assemble(objs []*unstructured.Unstructured) ([]reportGroup, error) {
	type key struct{ ns, base string }
	byKey := map[key]map[int]*unstructured.Unstructured{}
	var order []key
	for _, u := range objs {
		n, err := partOf(u)
		if err != nil {
			return nil, err
		}
		base := u.GetName()
		if n > 1 {
			base = strings.TrimSuffix(base, "-part-"+strconv.Itoa(n))
		}
		k := key{u.GetNamespace(), base}
		if byKey[k] == nil {
			byKey[k] = map[int]*unstructured.Unstructured{}
			order = append(order, k)
		}
		byKey[k][n] = u
	}
	slices.SortFunc(order, func(a, b key) int { return strings.Compare(a.ns+"/"+a.base, b.ns+"/"+b.base) })
	out := make([]reportGroup, 0, len(order))
	for _, k := range order {
		g := reportGroup{namespace: k.ns, name: k.base}
		parts := byKey[k]
		first := parts[1]
		if first == nil {
			return nil, &tornReportError{g.String(), "its first part is missing"}
		}
		total := partsOf(first)
		for n := 1; n <= total; n++ {
			p := parts[n]
			if p == nil {
				return nil, &tornReportError{g.String(), fmt.Sprintf("part %d of %d is missing", n, total)}
			}
			if got := partsOf(p); got != total {
				return nil, &tornReportError{g.String(), fmt.Sprintf("part %d says the report has %d parts, part 1 says %d", n, got, total)}
			}
			g.parts = append(g.parts, p)
		}
		out = append(out, g)
	}
	return out, nil
}

// partOf reads a report object's part number: its label, and its name must agree.
func partOf(u *unstructured.Unstructured) (int, error) {
	v, ok := u.GetLabels()[reports.LabelPart]
	if !ok {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("report %s: label %s=%q is not a part number", objectName(u), reports.LabelPart, v)
	}
	if n > 1 && !strings.HasSuffix(u.GetName(), "-part-"+v) {
		return 0, fmt.Errorf("report %s: label %s=%q does not match its name (part %d is named NAME-part-%d)", objectName(u), reports.LabelPart, v, n, n)
	}
	return n, nil
}

// partsOf reads how many parts the report of an object has; 1 without the label, or
// when it is not a number (assemble then reads only the first part).
func partsOf(u *unstructured.Unstructured) int {
	n, err := strconv.Atoi(u.GetLabels()[reports.LabelParts])
	if err != nil || n < 1 {
		return 1
	}
	return n
}

func objectName(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetKind() + "/" + u.GetName()
	}
	return u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
}

// reportSet are the reports read from one API.
type reportSet struct {
	groups []reportGroup
}

// report turns the reports into what the findings renderers show: every result of
// source moat as a finding (skip: a suppressed one, counted but left out unless
// showSuppressed, as moat scan does), input errors and results that cannot be read as
// errors. Objects counts the resources the results name: a report does not say how many
// objects the operator judged.
func (r *reportSet) report(showSuppressed bool) *report.Report {
	var fs []finding.Finding
	var errs []string
	for _, g := range r.groups {
		for _, p := range g.parts {
			pfs, perrs := reportFindings(p)
			fs = append(fs, pfs...)
			errs = append(errs, perrs...)
		}
	}
	finding.Sort(fs)
	resources := map[finding.Resource]bool{}
	for _, f := range fs {
		resources[f.Resource] = true
	}
	sum := finding.Summarize(len(resources), fs, len(errs))
	if !showSuppressed {
		fs = slices.DeleteFunc(fs, func(f finding.Finding) bool { return f.Suppressed != nil })
	}
	return &report.Report{Summary: sum, Findings: fs, Errors: errs, ToolVersion: version}
}

// reportResult is one result of a Report or PolicyReport, as Moat writes it
// (internal/operator/reports).
type reportResult struct {
	Source     string            `json:"source"`
	Policy     string            `json:"policy"`
	Rule       string            `json:"rule"`
	Category   string            `json:"category"`
	Severity   string            `json:"severity"`
	Result     string            `json:"result"`
	Message    string            `json:"message"`
	Properties map[string]string `json:"properties"`
	Resources  []struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Namespace  string `json:"namespace"`
		Name       string `json:"name"`
	} `json:"resources"`
}

// reportFindings converts the results of one report object back into findings: the
// inverse of the operator's mapping. Results of other sources, and pass and warn results
// (Moat writes none), are left out. Input errors (policy moat/input, result error) are
// returned as errors, as is every result that cannot be read, each naming the report and
// the result's index and field. The remediation, which a report does not carry, is the
// rule's.
func reportFindings(u *unstructured.Unstructured) ([]finding.Finding, []string) {
	where := objectName(u)
	raw, found, err := unstructured.NestedSlice(u.Object, "results")
	if err != nil {
		return nil, []string{fmt.Sprintf("report %s: results: %v", where, err)}
	}
	if !found {
		return nil, nil
	}
	var fs []finding.Finding
	var errs []string
	for i, item := range raw {
		at := fmt.Sprintf("report %s: results[%d]", where, i)
		m, ok := item.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: not an object", at))
			continue
		}
		var r reportResult
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &r); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", at, err))
			continue
		}
		if r.Source != reports.Source {
			continue
		}
		switch r.Result {
		case "fail", "skip":
			f, err := r.toFinding()
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", at, err))
				continue
			}
			fs = append(fs, f)
		case "error":
			errs = append(errs, r.Message)
		}
	}
	return fs, errs
}

// toFinding is the finding a fail or skip result records.
func (r *reportResult) toFinding() (finding.Finding, error) {
	sev, err := finding.ParseSeverity(r.Severity)
	if err != nil {
		return finding.Finding{}, fmt.Errorf("severity: %w", err)
	}
	if r.Policy == "" {
		return finding.Finding{}, errors.New("policy: empty (it is the rule's ID)")
	}
	if len(r.Resources) == 0 || r.Resources[0].Kind == "" || r.Resources[0].Name == "" {
		return finding.Finding{}, errors.New("resources: no kind and name of the object the result is about")
	}
	p := r.Properties
	res := r.Resources[0]
	f := finding.Finding{
		RuleID:   r.Policy,
		Severity: sev,
		Title:    p["title"],
		Message:  r.Message,
		Resource: finding.Resource{APIVersion: res.APIVersion, Kind: res.Kind, Namespace: res.Namespace, Name: res.Name},
		Path:     p["path"],
		Frameworks: finding.Frameworks{
			PSS: p["pss"], CIS: p["cis"], NSA: p["nsa"], MITRE: p["mitre"],
		},
	}
	if file := p["file"]; file != "" {
		f.Source = &finding.Source{File: file, Origin: p["origin"]}
		if line := p["line"]; line != "" {
			n, err := strconv.Atoi(line)
			if err != nil || n < 1 {
				return finding.Finding{}, fmt.Errorf("properties.line: %q is not a line number", line)
			}
			f.Source.Line = n
		}
	}
	if r.Result == "skip" {
		f.Suppressed = &finding.Suppression{Kind: p["suppressedBy"], Reason: p["suppressionReason"]}
	}
	if rl := rule.Get(f.RuleID); rl != nil {
		f.Remediation = rl.Remediation
		if f.Title == "" {
			f.Title = rl.Title
		}
	}
	return f, nil
}

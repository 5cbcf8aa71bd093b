package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/operator/reports"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/scan"
)

// reportCLI runs `moat report ARGS` in-process, as execute runs a command line.
func reportCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	root := &cobra.Command{Use: "moat", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newReportCmd())
	root.SetArgs(append([]string{"report"}, args...))
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return scan.ExitOK, out.String(), errb.String()
	case errors.As(err, &ee):
		return ee.code, out.String(), errb.String()
	}
	fmt.Fprintln(&errb, "moat:", err)
	return scan.ExitError, out.String(), errb.String()
}

var reportTime = time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)

// shopFindings are findings of namespace shop: a failing one with every field a result
// carries, a suppressed one, one of a rule Moat does not have (another version's), and
// many of one rule so that a small MaxBytes cuts the report into parts.
func shopFindings(n int) []finding.Finding {
	cart := finding.Resource{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "cart"}
	fs := []finding.Finding{
		{
			RuleID: "pod/privileged-container", Severity: finding.Critical, Title: "Container runs privileged",
			Message: `container "app" sets securityContext.privileged=true`, Resource: cart,
			Path:       "spec.template.spec.containers[0].securityContext.privileged",
			Source:     &finding.Source{File: "shop/cart.yaml", Line: 27, Origin: "helm:shop"},
			Frameworks: finding.Frameworks{PSS: "baseline/privileged", CIS: "5.2.2", NSA: "pod-security", MITRE: "T1611"},
		},
		{
			RuleID: "pod/run-as-non-root", Severity: finding.Medium, Title: "Container may run as root",
			Message: `container "app" does not set runAsNonRoot`, Resource: cart,
			Suppressed: &finding.Suppression{Kind: "annotation", Reason: "vendor image, TICKET-9"},
		},
		{
			RuleID: "future/rule", Severity: finding.Low, Title: "A rule of a newer Moat",
			Message: "something", Resource: finding.Resource{APIVersion: "v1", Kind: "Service", Namespace: "shop", Name: "web"},
		},
	}
	for i := range n {
		fs = append(fs, finding.Finding{
			RuleID: "pod/cpu-limits-missing", Severity: finding.Low, Title: "Container has no CPU limit",
			Message:  fmt.Sprintf("container %q has no resources.limits.cpu", "worker"),
			Resource: finding.Resource{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: fmt.Sprintf("worker-%03d", i)},
			Path:     "spec.template.spec.containers[0].resources.limits.cpu",
		})
	}
	return fs
}

// withRemediation is what a finding read back from a report holds: the report has no
// remediation, the rule registry gives it.
func withRemediation(fs []finding.Finding) []finding.Finding {
	out := make([]finding.Finding, len(fs))
	for i, f := range fs {
		if r := rule.Get(f.RuleID); r != nil {
			f.Remediation = r.Remediation
		}
		out[i] = f
	}
	finding.Sort(out)
	return out
}

// TestReportRoundTrip writes findings as the operator does (reports.Build), in both
// APIs, cut into parts, and reads them back as `moat report` does: the same findings.
func TestReportRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name     string
		api      reports.API
		fs       []finding.Finding
		errs     []string
		maxBytes int
		minParts int
	}{
		{"one part, openreports", reports.OpenReports, shopFindings(3), nil, 0, 1},
		{"many parts, openreports", reports.OpenReports, shopFindings(200), nil, 8 << 10, 3},
		{"many parts, wgpolicyk8s", reports.WGPolicy, shopFindings(200), nil, 8 << 10, 3},
		{"an empty report", reports.OpenReports, nil, nil, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := reports.Build(reports.Options{API: tc.api, MaxBytes: tc.maxBytes, Now: func() time.Time { return reportTime }}, "shop", tc.fs, tc.errs)
			if len(parts) < tc.minParts {
				t.Fatalf("%d parts, want at least %d", len(parts), tc.minParts)
			}
			// The API server lists in name order, which is not part order past part 9.
			rand.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
			groups, err := assemble(parts)
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) != 1 || groups[0].String() != "shop/moat-shop" || len(groups[0].parts) != len(parts) {
				t.Fatalf("groups %v", groups)
			}
			rep := (&reportSet{groups: groups}).report(true)
			if len(rep.Errors) > 0 {
				t.Errorf("errors: %q", rep.Errors)
			}
			want := withRemediation(tc.fs)
			if len(rep.Findings) != len(want) {
				t.Fatalf("%d findings read back, want %d", len(rep.Findings), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(rep.Findings[i], want[i]) {
					t.Errorf("finding %d:\n got %+v\nwant %+v", i, rep.Findings[i], want[i])
				}
			}
		})
	}
}

// TestReportHidesSuppressed: as moat scan, suppressed findings are counted and shown
// only on request.
func TestReportHidesSuppressed(t *testing.T) {
	parts := reports.Build(reports.Options{Now: func() time.Time { return reportTime }}, "shop", shopFindings(1), nil)
	groups, err := assemble(parts)
	if err != nil {
		t.Fatal(err)
	}
	for _, show := range []bool{false, true} {
		rep := (&reportSet{groups: groups}).report(show)
		suppressed := 0
		for _, f := range rep.Findings {
			if f.Suppressed != nil {
				suppressed++
			}
		}
		want := 0
		if show {
			want = 1
		}
		if suppressed != want || rep.Summary.Suppressed != 1 || rep.Summary.Findings != 3 {
			t.Errorf("show %v: %d suppressed findings shown (want %d), summary %+v", show, suppressed, want, rep.Summary)
		}
	}
}

// TestReportInputErrors reads the cluster report's input errors back as errors.
func TestReportInputErrors(t *testing.T) {
	role := finding.Finding{RuleID: "rbac/wildcard-verbs", Severity: finding.High, Title: "Role grants every verb with \"*\"",
		Message: `rules[0] grants "*"`, Resource: finding.Resource{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "ops"}}
	errs := []string{`cannot list secrets in all namespaces: missing RBAC "list" on "secrets"`}
	parts := reports.Build(reports.Options{Now: func() time.Time { return reportTime }}, "", []finding.Finding{role}, errs)
	groups, err := assemble(parts)
	if err != nil {
		t.Fatal(err)
	}
	rep := (&reportSet{groups: groups}).report(false)
	if !reflect.DeepEqual(rep.Errors, errs) {
		t.Errorf("errors %q, want %q", rep.Errors, errs)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Resource.Kind != "ClusterRole" {
		t.Errorf("findings %+v", rep.Findings)
	}
}

// part makes a report object as the operator names and labels it.
func part(ns, base string, n, total int) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "openreports.io/v1alpha1", "kind": "Report", "results": []any{}}}
	u.SetNamespace(ns)
	u.SetName(reports.PartName(base, n))
	u.SetLabels(map[string]string{reports.LabelManagedBy: "moat", reports.LabelPart: fmt.Sprint(n), reports.LabelParts: fmt.Sprint(total)})
	return u
}

func TestAssemble(t *testing.T) {
	unlabelled := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "ClusterPolicyReport"}}
	unlabelled.SetName("moat-node-worker-1")
	renamed := part("shop", "moat-shop", 2, 2)
	renamed.SetName("moat-shop-2")
	for _, tc := range []struct {
		name    string
		objs    []*unstructured.Unstructured
		want    []string // "REPORT: part names"
		wantErr string
		torn    bool
	}{
		{
			name: "parts out of order are put in order",
			objs: []*unstructured.Unstructured{part("shop", "moat-shop", 10, 11), part("shop", "moat-shop", 2, 11), part("shop", "moat-shop", 1, 11),
				part("shop", "moat-shop", 3, 11), part("shop", "moat-shop", 4, 11), part("shop", "moat-shop", 5, 11), part("shop", "moat-shop", 6, 11),
				part("shop", "moat-shop", 7, 11), part("shop", "moat-shop", 8, 11), part("shop", "moat-shop", 9, 11), part("shop", "moat-shop", 11, 11)},
			want: []string{"shop/moat-shop: moat-shop moat-shop-part-2 moat-shop-part-3 moat-shop-part-4 moat-shop-part-5 moat-shop-part-6 moat-shop-part-7 moat-shop-part-8 moat-shop-part-9 moat-shop-part-10 moat-shop-part-11"},
		},
		{
			name: "reports of several namespaces and the cluster",
			objs: []*unstructured.Unstructured{part("web", "moat-web", 1, 1), part("", "moat-cluster", 1, 1), part("shop", "moat-shop", 1, 1)},
			want: []string{"moat-cluster: moat-cluster", "shop/moat-shop: moat-shop", "web/moat-web: moat-web"},
		},
		{
			name: "a part beyond the count is left over from a longer report",
			objs: []*unstructured.Unstructured{part("shop", "moat-shop", 1, 2), part("shop", "moat-shop", 2, 2), part("shop", "moat-shop", 3, 3)},
			want: []string{"shop/moat-shop: moat-shop moat-shop-part-2"},
		},
		{
			name: "a report without part labels is one part",
			objs: []*unstructured.Unstructured{unlabelled},
			want: []string{"moat-node-worker-1: moat-node-worker-1"},
		},
		{
			name:    "a missing part is a report being rewritten",
			objs:    []*unstructured.Unstructured{part("shop", "moat-shop", 1, 3), part("shop", "moat-shop", 3, 3)},
			wantErr: "report shop/moat-shop is being rewritten (part 2 of 3 is missing)",
			torn:    true,
		},
		{
			name:    "parts that disagree on the count are from different writes",
			objs:    []*unstructured.Unstructured{part("shop", "moat-shop", 1, 2), part("shop", "moat-shop", 2, 3)},
			wantErr: "part 2 says the report has 3 parts, part 1 says 2",
			torn:    true,
		},
		{
			name:    "a missing first part",
			objs:    []*unstructured.Unstructured{part("shop", "moat-shop", 2, 2)},
			wantErr: "its first part is missing",
			torn:    true,
		},
		{
			name:    "a part label that does not match the name",
			objs:    []*unstructured.Unstructured{part("shop", "moat-shop", 1, 2), renamed},
			wantErr: `report Report/shop/moat-shop-2: label reports.moat.dev/part="2" does not match its name`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			groups, err := assemble(tc.objs)
			if tc.wantErr != "" {
				var torn *tornReportError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || errors.As(err, &torn) != tc.torn {
					t.Fatalf("error %v, want %q (a report being rewritten: %v)", err, tc.wantErr, tc.torn)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range groups {
				var names []string
				for _, p := range g.parts {
					names = append(names, p.GetName())
				}
				got = append(got, g.String()+": "+strings.Join(names, " "))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestReportFindingsRefusesBadResults: a result that cannot be read is an error naming
// the report, the result and the field, never a panic or a half-read finding.
func TestReportFindingsRefusesBadResults(t *testing.T) {
	good := map[string]any{"source": "moat", "policy": "pod/privileged-container", "result": "fail", "severity": "critical",
		"message": "m", "resources": []any{map[string]any{"kind": "Pod", "namespace": "shop", "name": "p"}}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		result any
		want   string // in the error; "" means the result is read without one
	}{
		{"a good result", good, ""},
		{"an unknown severity", with("severity", "severe"), `results[0]: severity: unknown severity "severe"`},
		{"no policy", with("policy", nil), "results[0]: policy: empty"},
		{"no resource", with("resources", nil), "results[0]: resources: no kind and name"},
		{"a resource without a name", with("resources", []any{map[string]any{"kind": "Pod"}}), "results[0]: resources: no kind and name"},
		{"a line that is not a number", with("properties", map[string]any{"file": "a.yaml", "line": "twelve"}), `results[0]: properties.line: "twelve" is not a line number`},
		{"a property that is not a string", with("properties", map[string]any{"path": int64(3)}), "results[0]:"},
		{"a result that is not an object", "fail", "results[0]: not an object"},
		{"another tool's result is left out", with("source", "kyverno"), ""},
		{"a pass result is left out", with("result", "pass"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := part("shop", "moat-shop", 1, 1)
			u.Object["results"] = []any{tc.result}
			_, errs := reportFindings(u)
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Errorf("errors %q", errs)
			case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0], tc.want) || !strings.Contains(errs[0], "report Report/shop/moat-shop")):
				t.Errorf("errors %q, want one naming the report and %q", errs, tc.want)
			}
		})
	}
	u := part("shop", "moat-shop", 1, 1)
	u.Object["results"] = "none"
	if _, errs := reportFindings(u); len(errs) != 1 || !strings.Contains(errs[0], "report Report/shop/moat-shop: results:") {
		t.Errorf("results that are not a list: errors %q", errs)
	}
}

// FuzzReportFindings: whatever a report object holds, reading it does not panic, and
// every finding read back has a rule, a known severity and a resource.
func FuzzReportFindings(f *testing.F) {
	for _, fs := range [][]finding.Finding{shopFindings(2), nil} {
		for _, p := range reports.Build(reports.Options{Now: func() time.Time { return reportTime }}, "shop", fs, []string{"e"}) {
			b, err := json.Marshal(p.Object)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"results":[{"source":"moat","result":"skip","severity":"low","policy":"x","resources":[{"kind":"K","name":"n"}],"properties":{"line":"-1","file":"f"}}]}`))
	f.Add([]byte(`{"results":[null, 3, "x", {"source":"moat","result":"error"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(data); err != nil {
			var m map[string]any
			if json.Unmarshal(data, &m) != nil {
				return
			}
			u.Object = m
		}
		fs, _ := reportFindings(u)
		for _, f := range fs {
			if f.RuleID == "" || f.Resource.Kind == "" || f.Resource.Name == "" || f.Severity < finding.Info || f.Severity > finding.Critical {
				t.Errorf("finding read back without a rule, a resource or a severity: %+v", f)
			}
			if f.Source != nil && f.Source.Line < 0 {
				t.Errorf("negative line: %+v", f.Source)
			}
		}
	})
}

// TestReportUsage checks the command's refusals, each exit 2 with a message that says
// what to do.
func TestReportUsage(t *testing.T) {
	// A kubeconfig whose server is a closed loopback port: nothing answers there.
	kc := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
current-context: closed
clusters: [{name: closed, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: closed, user: {token: t}}]
contexts: [{name: closed, context: {cluster: closed, user: closed, namespace: shop}}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"-n and -A exclude each other", []string{"-n", "shop", "-A", "--kubeconfig", kc}, "give -n NAMESPACE or -A, not both"},
		{"an unknown output format", []string{"-o", "sarif", "--kubeconfig", kc}, `unknown output format "sarif" (want table or json)`},
		{"an unknown severity", []string{"--fail-on", "severe", "--kubeconfig", kc}, `--fail-on: unknown severity "severe"`},
		{"arguments are refused", []string{"shop", "--kubeconfig", kc}, `unknown command "shop"`},
		{"a cluster that does not answer", []string{"--kubeconfig", kc}, "cannot reach the cluster at https://127.0.0.1:1"},
		{"an unknown context", []string{"--kubeconfig", kc, "--context", "prod"}, `context "prod" does not exist`},
		{"no kubeconfig at all", []string{"--kubeconfig", filepath.Join(t.TempDir(), "none")}, "cluster configuration:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errb := reportCLI(t, tc.args...)
			if code != scan.ExitError || !strings.Contains(errb, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errb, tc.want)
			}
		})
	}
}

package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	_ "github.com/moat-dev/moat/internal/catalog" // fills the rule registry, as moat does: remediations are read from it
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

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
func withRemediation(t *testing.T, fs []finding.Finding) []finding.Finding {
	t.Helper()
	out := make([]finding.Finding, len(fs))
	for i, f := range fs {
		if r := rule.Get(f.RuleID); r != nil {
			f.Remediation = r.Remediation
		} else if f.RuleID != "future/rule" {
			t.Fatalf("rule %s is not in the registry: is the catalog linked in?", f.RuleID)
		}
		out[i] = f
	}
	finding.Sort(out)
	return out
}

// TestReadRoundTrip writes findings as the operator does (Build), in both
// APIs, cut into parts, and reads them back as `moat report` does: the same findings.
func TestReadRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name     string
		api      API
		fs       []finding.Finding
		errs     []string
		maxBytes int
		minParts int
	}{
		{"one part, openreports", OpenReports, shopFindings(3), nil, 0, 1},
		{"many parts, openreports", OpenReports, shopFindings(200), nil, 8 << 10, 3},
		{"many parts, wgpolicyk8s", WGPolicy, shopFindings(200), nil, 8 << 10, 3},
		{"an empty report", OpenReports, nil, nil, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := Build(Options{API: tc.api, MaxBytes: tc.maxBytes, Now: fixedNow}, "shop", tc.fs, tc.errs)
			if len(parts) < tc.minParts {
				t.Fatalf("%d parts, want at least %d", len(parts), tc.minParts)
			}
			// The API server lists in name order, which is not part order past part 9.
			rand.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
			groups, err := Assemble(parts)
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) != 1 || groups[0].String() != "shop/moat-shop" || len(groups[0].Parts) != len(parts) {
				t.Fatalf("groups %v", groups)
			}
			c := ContentsOf(groups)
			if len(c.Errors) > 0 {
				t.Errorf("errors: %q", c.Errors)
			}
			want := withRemediation(t, tc.fs)
			if len(c.Findings) != len(want) {
				t.Fatalf("%d findings read back, want %d", len(c.Findings), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(c.Findings[i], want[i]) {
					t.Errorf("finding %d:\n got %+v\nwant %+v", i, c.Findings[i], want[i])
				}
			}
			objects, failing, suppressed := counts(tc.fs)
			if s := c.Summary; s.Objects != objects || s.Findings != failing || s.Suppressed != suppressed || s.Errors != 0 {
				t.Errorf("summary %+v, want %d objects, %d findings, %d suppressed, no errors", s, objects, failing, suppressed)
			}
		})
	}
}

// counts are how many resources findings name, and how many of them fail and are
// suppressed.
func counts(fs []finding.Finding) (objects, failing, suppressed int) {
	resources := map[finding.Resource]bool{}
	for _, f := range fs {
		resources[f.Resource] = true
		if f.Suppressed != nil {
			suppressed++
		} else {
			failing++
		}
	}
	return len(resources), failing, suppressed
}

// TestReadInputErrors reads the cluster report's input errors back as errors.
func TestReadInputErrors(t *testing.T) {
	role := finding.Finding{RuleID: "rbac/wildcard-verbs", Severity: finding.High, Title: "Role grants every verb with \"*\"",
		Message: `rules[0] grants "*"`, Resource: finding.Resource{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "ops"}}
	errs := []string{`cannot list secrets in all namespaces: missing RBAC "list" on "secrets"`}
	parts := Build(Options{Now: fixedNow}, "", []finding.Finding{role}, errs)
	groups, err := Assemble(parts)
	if err != nil {
		t.Fatal(err)
	}
	c := ContentsOf(groups)
	if !reflect.DeepEqual(c.Errors, errs) {
		t.Errorf("errors %q, want %q", c.Errors, errs)
	}
	if len(c.Findings) != 1 || c.Findings[0].Resource.Kind != "ClusterRole" {
		t.Errorf("findings %+v", c.Findings)
	}
}

// labelledPart makes a report object as the operator names and labels it.
func labelledPart(ns, base string, n, total int) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "openreports.io/v1alpha1", "kind": "Report", "results": []any{}}}
	u.SetNamespace(ns)
	u.SetName(PartName(base, n))
	u.SetLabels(map[string]string{LabelManagedBy: "moat", LabelPart: fmt.Sprint(n), LabelParts: fmt.Sprint(total)})
	return u
}

func TestAssemble(t *testing.T) {
	unlabelled := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "ClusterPolicyReport"}}
	unlabelled.SetName("moat-node-worker-1")
	renamed := labelledPart("shop", "moat-shop", 2, 2)
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
			objs: []*unstructured.Unstructured{labelledPart("shop", "moat-shop", 10, 11), labelledPart("shop", "moat-shop", 2, 11), labelledPart("shop", "moat-shop", 1, 11),
				labelledPart("shop", "moat-shop", 3, 11), labelledPart("shop", "moat-shop", 4, 11), labelledPart("shop", "moat-shop", 5, 11), labelledPart("shop", "moat-shop", 6, 11),
				labelledPart("shop", "moat-shop", 7, 11), labelledPart("shop", "moat-shop", 8, 11), labelledPart("shop", "moat-shop", 9, 11), labelledPart("shop", "moat-shop", 11, 11)},
			want: []string{"shop/moat-shop: moat-shop moat-shop-part-2 moat-shop-part-3 moat-shop-part-4 moat-shop-part-5 moat-shop-part-6 moat-shop-part-7 moat-shop-part-8 moat-shop-part-9 moat-shop-part-10 moat-shop-part-11"},
		},
		{
			name: "reports of several namespaces and the cluster",
			objs: []*unstructured.Unstructured{labelledPart("web", "moat-web", 1, 1), labelledPart("", "moat-cluster", 1, 1), labelledPart("shop", "moat-shop", 1, 1)},
			want: []string{"moat-cluster: moat-cluster", "shop/moat-shop: moat-shop", "web/moat-web: moat-web"},
		},
		{
			name: "a part beyond the count is left over from a longer report",
			objs: []*unstructured.Unstructured{labelledPart("shop", "moat-shop", 1, 2), labelledPart("shop", "moat-shop", 2, 2), labelledPart("shop", "moat-shop", 3, 3)},
			want: []string{"shop/moat-shop: moat-shop moat-shop-part-2"},
		},
		{
			name: "a report without part labels is one part",
			objs: []*unstructured.Unstructured{unlabelled},
			want: []string{"moat-node-worker-1: moat-node-worker-1"},
		},
		{
			name:    "a missing part is a report being rewritten",
			objs:    []*unstructured.Unstructured{labelledPart("shop", "moat-shop", 1, 3), labelledPart("shop", "moat-shop", 3, 3)},
			wantErr: "report shop/moat-shop is being rewritten (part 2 of 3 is missing)",
			torn:    true,
		},
		{
			name:    "parts that disagree on the count are from different writes",
			objs:    []*unstructured.Unstructured{labelledPart("shop", "moat-shop", 1, 2), labelledPart("shop", "moat-shop", 2, 3)},
			wantErr: "part 2 says the report has 3 parts, part 1 says 2",
			torn:    true,
		},
		{
			name:    "a missing first part",
			objs:    []*unstructured.Unstructured{labelledPart("shop", "moat-shop", 2, 2)},
			wantErr: "its first part is missing",
			torn:    true,
		},
		{
			name:    "a part label that does not match the name",
			objs:    []*unstructured.Unstructured{labelledPart("shop", "moat-shop", 1, 2), renamed},
			wantErr: `report Report/shop/moat-shop-2: label reports.moat.dev/part="2" does not match its name`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			groups, err := Assemble(tc.objs)
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
				for _, p := range g.Parts {
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

// TestFindingsRefusesBadResults: a result that cannot be read is an error naming
// the report, the result and the field, never a panic or a half-read finding.
func TestFindingsRefusesBadResults(t *testing.T) {
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
			u := labelledPart("shop", "moat-shop", 1, 1)
			u.Object["results"] = []any{tc.result}
			_, errs := Findings(u)
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Errorf("errors %q", errs)
			case tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0], tc.want) || !strings.Contains(errs[0], "report Report/shop/moat-shop")):
				t.Errorf("errors %q, want one naming the report and %q", errs, tc.want)
			}
		})
	}
	u := labelledPart("shop", "moat-shop", 1, 1)
	u.Object["results"] = "none"
	if _, errs := Findings(u); len(errs) != 1 || !strings.Contains(errs[0], "report Report/shop/moat-shop: results:") {
		t.Errorf("results that are not a list: errors %q", errs)
	}
}

// FuzzFindings: whatever a report object holds, reading it does not panic, and
// every finding read back has a rule, a known severity and a resource.
func FuzzFindings(f *testing.F) {
	for _, fs := range [][]finding.Finding{shopFindings(2), nil} {
		for _, p := range Build(Options{Now: fixedNow}, "shop", fs, []string{"e"}) {
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
		fs, _ := Findings(u)
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

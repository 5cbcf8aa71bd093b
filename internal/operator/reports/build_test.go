package reports

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/moat-dev/moat/internal/finding"
)

var testTime = time.Date(2026, 3, 4, 5, 6, 7, 800, time.UTC)

func fixedNow() time.Time { return testTime }

// workloadFindings are n Deployments of namespace ns with three findings each, one of
// every third object's findings suppressed.
func workloadFindings(ns string, n int) []finding.Finding {
	var fs []finding.Finding
	for i := range n {
		res := finding.Resource{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: fmt.Sprintf("app-%05d", i)}
		fs = append(fs,
			finding.Finding{
				RuleID: "pod/privileged-container", Severity: finding.Critical, Title: "Container runs privileged",
				Message:  `container "app" sets securityContext.privileged=true`,
				Resource: res, Path: "spec.template.spec.containers[0].securityContext.privileged",
				Frameworks: finding.Frameworks{PSS: "baseline/privileged", CIS: "5.2.2", NSA: "pod-security", MITRE: "T1611"},
			},
			finding.Finding{
				RuleID: "pod/run-as-root", Severity: finding.High, Title: "Container may run as root",
				Message:  `container "app" does not set runAsNonRoot`,
				Resource: res, Path: "spec.template.spec.containers[0].securityContext.runAsNonRoot",
				Frameworks: finding.Frameworks{PSS: "restricted/runAsNonRoot", CIS: "5.2.6"},
			},
			finding.Finding{
				RuleID: "workload/no-resource-limits", Severity: finding.Low, Title: "Container has no resource limits",
				Message:  `container "app" sets no memory limit`,
				Resource: res, Path: "spec.template.spec.containers[0].resources.limits.memory",
			},
		)
		if i%3 == 0 {
			fs[len(fs)-1].Suppressed = &finding.Suppression{Kind: "annotation", Reason: "batch job, sized by the scheduler"}
		}
	}
	return fs
}

// results are the results of the parts in order.
func results(t *testing.T, parts []*unstructured.Unstructured) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, p := range parts {
		rs, found, err := unstructured.NestedSlice(p.Object, "results")
		if !found || err != nil {
			t.Fatalf("%s: no results (found %v, err %v)", p.GetName(), found, err)
		}
		for _, r := range rs {
			out = append(out, r.(map[string]any))
		}
	}
	return out
}

func summaryOf(t *testing.T, u *unstructured.Unstructured) map[string]int64 {
	t.Helper()
	s, found, err := unstructured.NestedMap(u.Object, "summary")
	if !found || err != nil {
		t.Fatalf("%s: no summary (found %v, err %v)", u.GetName(), found, err)
	}
	out := map[string]int64{}
	for k, v := range s {
		out[k] = v.(int64)
	}
	return out
}

func jsonSize(t *testing.T, u *unstructured.Unstructured) int {
	t.Helper()
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func TestBuildSplitsIntoBoundedParts(t *testing.T) {
	cases := []struct {
		name      string
		api       API
		ns        string
		findings  int // workloads, three findings each
		maxBytes  int
		wantParts int // 0: more than one
	}{
		{"empty namespace gets one empty report", OpenReports, "shop", 0, 0, 1},
		{"small namespace fits in one report", OpenReports, "shop", 10, 0, 1},
		{"large namespace is split", OpenReports, "shop", 400, 64 << 10, 0},
		{"large namespace is split, wgpolicyk8s", WGPolicy, "shop", 400, 64 << 10, 0},
		{"tiny MaxBytes is raised to 4 KiB", OpenReports, "shop", 20, 100, 0},
		{"cluster report is split too", OpenReports, "", 400, 64 << 10, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := tc.ns
			fs := workloadFindings(ns, tc.findings)
			opt := Options{API: tc.api, MaxBytes: tc.maxBytes, Now: fixedNow}
			parts := Build(opt, ns, fs, nil)
			if tc.wantParts > 0 && len(parts) != tc.wantParts {
				t.Fatalf("%d parts, want %d", len(parts), tc.wantParts)
			}
			if tc.wantParts == 0 && len(parts) < 2 {
				t.Fatalf("%d parts, want several", len(parts))
			}
			limit := opt.maxBytes() - serverReserve
			var fail, skip int64
			for i, p := range parts {
				if size := jsonSize(t, p); size > limit {
					t.Errorf("part %d is %d bytes, over %d", i+1, size, limit)
				}
				s := summaryOf(t, p)
				fail += s["fail"]
				skip += s["skip"]
				rs, _, _ := unstructured.NestedSlice(p.Object, "results")
				if got := s["fail"] + s["skip"]; got != int64(len(rs)) {
					t.Errorf("part %d: summary counts %d results, has %d", i+1, got, len(rs))
				}
				if i < len(parts)-1 && len(rs) == 0 {
					t.Errorf("part %d of %d is empty", i+1, len(parts))
				}
			}
			if got := len(results(t, parts)); got != len(fs) {
				t.Errorf("%d results in all parts, want %d", got, len(fs))
			}
			wantSkip := int64(0)
			for _, f := range fs {
				if f.Suppressed != nil {
					wantSkip++
				}
			}
			if fail != int64(len(fs))-wantSkip || skip != wantSkip {
				t.Errorf("summaries count %d fail, %d skip; want %d, %d", fail, skip, int64(len(fs))-wantSkip, wantSkip)
			}
		})
	}
}

func TestBuildPartsFillUpToTheLimit(t *testing.T) {
	// Every part but the last is full: the next result would not have fitted.
	opt := Options{MaxBytes: 32 << 10, Now: fixedNow}
	parts := Build(opt, "shop", workloadFindings("shop", 200), nil)
	if len(parts) < 3 {
		t.Fatalf("%d parts, want at least 3", len(parts))
	}
	limit := opt.maxBytes() - serverReserve
	// Parts are cut as if every timestamp had the longest numbers.
	slack := maxStampLen - len(`,"timestamp":`) - len(mustMarshal(timestamp{Seconds: testTime.Unix(), Nanos: int32(testTime.Nanosecond())}))
	for i, p := range parts[:len(parts)-1] {
		next := results(t, parts[i+1:i+2])[0]
		b, _ := json.Marshal(next)
		n := len(results(t, parts[i:i+1]))
		if size := jsonSize(t, p) + (n+1)*slack; size+len(b)+1 <= limit {
			t.Errorf("part %d is %d bytes with the longest timestamps: the next result (%d bytes) would have fitted in %d", i+1, size, len(b), limit)
		}
	}
}

func TestBuildNamesLabelsAndKinds(t *testing.T) {
	cases := []struct {
		name                 string
		api                  API
		ns                   string
		apiVersion, kind     string
		wantSource           bool
		baseName, secondName string
	}{
		{"openreports namespace", OpenReports, "shop", "openreports.io/v1alpha1", "Report", true, "moat-shop", "moat-shop-part-2"},
		{"openreports cluster", OpenReports, "", "openreports.io/v1alpha1", "ClusterReport", true, "moat-cluster", "moat-cluster-part-2"},
		{"wgpolicyk8s namespace", WGPolicy, "shop", "wgpolicyk8s.io/v1alpha2", "PolicyReport", false, "moat-shop", "moat-shop-part-2"},
		{"wgpolicyk8s cluster", WGPolicy, "", "wgpolicyk8s.io/v1alpha2", "ClusterPolicyReport", false, "moat-cluster", "moat-cluster-part-2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parts := Build(Options{API: tc.api, MaxBytes: 16 << 10, Now: fixedNow}, tc.ns, workloadFindings(tc.ns, 60), nil)
			if len(parts) < 3 {
				t.Fatalf("%d parts, want at least 3", len(parts))
			}
			for i, p := range parts {
				n := i + 1
				wantName := tc.baseName
				switch n {
				case 1:
				case 2:
					wantName = tc.secondName
				default:
					wantName = tc.baseName + "-part-" + strconv.Itoa(n)
				}
				if p.GetName() != wantName || p.GetNamespace() != tc.ns {
					t.Errorf("part %d is %s/%s, want %s/%s", n, p.GetNamespace(), p.GetName(), tc.ns, wantName)
				}
				if p.GetAPIVersion() != tc.apiVersion || p.GetKind() != tc.kind {
					t.Errorf("part %d is %s %s, want %s %s", n, p.GetAPIVersion(), p.GetKind(), tc.apiVersion, tc.kind)
				}
				wantLabels := map[string]string{
					"app.kubernetes.io/managed-by": "moat",
					"app.kubernetes.io/name":       "moat",
					"reports.moat.dev/part":        strconv.Itoa(n),
					"reports.moat.dev/parts":       strconv.Itoa(len(parts)),
				}
				if !reflect.DeepEqual(p.GetLabels(), wantLabels) {
					t.Errorf("part %d labels %v, want %v", n, p.GetLabels(), wantLabels)
				}
				if h := p.GetAnnotations()["reports.moat.dev/hash"]; len(h) != 64 {
					t.Errorf("part %d hash %q, want 64 hex digits", n, h)
				}
				src, _, _ := unstructured.NestedString(p.Object, "source")
				if (src == "moat") != tc.wantSource {
					t.Errorf("part %d report source %q, want it set: %v", n, src, tc.wantSource)
				}
			}
		})
	}
}

func TestBuildResults(t *testing.T) {
	res := finding.Resource{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "cart"}
	privileged := finding.Finding{
		RuleID: "pod/privileged-container", Severity: finding.Critical, Title: "Container runs privileged",
		Message: `container "app" sets securityContext.privileged=true`, Resource: res,
		Path:       "spec.template.spec.containers[0].securityContext.privileged",
		Source:     &finding.Source{File: "examples/shop/cart.yaml", Line: 27, Origin: "helm:shop"},
		Frameworks: finding.Frameworks{PSS: "baseline/privileged", CIS: "5.2.2", NSA: "pod-security", MITRE: "T1611"},
	}
	suppressed := finding.Finding{
		RuleID: "pod/run-as-root", Severity: finding.High, Title: "Container may run as root",
		Message: `container "app" does not set runAsNonRoot`, Resource: res,
		Suppressed: &finding.Suppression{Kind: "config", Reason: "vendor image"},
	}
	clusterRole := finding.Finding{
		RuleID: "rbac/wildcard-verbs", Severity: finding.Medium, Title: "Role grants every verb",
		Message:  `rule 0 grants "*" on pods`,
		Resource: finding.Resource{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "ops"},
	}
	stamp := map[string]any{"seconds": testTime.Unix(), "nanos": int64(800)}
	cases := []struct {
		name        string
		ns          string
		fs          []finding.Finding
		errs        []string
		want        []map[string]any
		wantSummary map[string]int64
	}{
		{
			name: "failing finding",
			ns:   "shop",
			fs:   []finding.Finding{privileged},
			want: []map[string]any{{
				"category": "pod", "message": `container "app" sets securityContext.privileged=true`,
				"policy": "pod/privileged-container", "rule": "privileged-container",
				"result": "fail", "scored": true, "severity": "critical", "source": "moat",
				"resources": []any{map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "cart"}},
				"properties": map[string]any{
					"title": "Container runs privileged", "path": "spec.template.spec.containers[0].securityContext.privileged",
					"cis": "5.2.2", "nsa": "pod-security", "mitre": "T1611", "pss": "baseline/privileged",
					"file": "examples/shop/cart.yaml", "line": "27", "origin": "helm:shop",
				},
				"timestamp": stamp,
			}},
			wantSummary: map[string]int64{"pass": 0, "fail": 1, "warn": 0, "error": 0, "skip": 0},
		},
		{
			name: "suppressed finding is a skip",
			ns:   "shop",
			fs:   []finding.Finding{suppressed},
			want: []map[string]any{{
				"category": "pod", "message": `container "app" does not set runAsNonRoot`,
				"policy": "pod/run-as-root", "rule": "run-as-root",
				"result": "skip", "scored": false, "severity": "high", "source": "moat",
				"resources": []any{map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "cart"}},
				"properties": map[string]any{
					"title": "Container may run as root", "suppressedBy": "config", "suppressionReason": "vendor image",
				},
				"timestamp": stamp,
			}},
			wantSummary: map[string]int64{"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 1},
		},
		{
			name: "input errors come after findings in the cluster report, sorted",
			ns:   "",
			fs:   []finding.Finding{clusterRole},
			errs: []string{"list networkpolicies: forbidden", "decode crd.yaml: line 3: bad indent"},
			want: []map[string]any{
				{
					"category": "rbac", "message": `rule 0 grants "*" on pods`,
					"policy": "rbac/wildcard-verbs", "rule": "wildcard-verbs",
					"result": "fail", "scored": true, "severity": "medium", "source": "moat",
					"resources":  []any{map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": "ops"}},
					"properties": map[string]any{"title": "Role grants every verb"},
					"timestamp":  stamp,
				},
				{
					"category": "input", "message": "decode crd.yaml: line 3: bad indent", "policy": "moat/input",
					"rule": "input", "result": "error", "scored": false, "source": "moat", "timestamp": stamp,
				},
				{
					"category": "input", "message": "list networkpolicies: forbidden", "policy": "moat/input",
					"rule": "input", "result": "error", "scored": false, "source": "moat", "timestamp": stamp,
				},
			},
			wantSummary: map[string]int64{"pass": 0, "fail": 1, "warn": 0, "error": 2, "skip": 0},
		},
		{
			name:        "clean cluster report has empty results",
			ns:          "",
			want:        nil,
			wantSummary: map[string]int64{"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 0},
		},
	}
	for _, tc := range cases {
		for _, api := range []API{OpenReports, WGPolicy} {
			t.Run(tc.name+"/"+api.String(), func(t *testing.T) {
				parts := Build(Options{API: api, Now: fixedNow}, tc.ns, tc.fs, tc.errs)
				if len(parts) != 1 {
					t.Fatalf("%d parts, want 1", len(parts))
				}
				got := results(t, parts)
				if len(got) != len(tc.want) {
					t.Fatalf("%d results, want %d: %v", len(got), len(tc.want), got)
				}
				for i := range got {
					if !reflect.DeepEqual(got[i], tc.want[i]) {
						t.Errorf("result %d:\n got %#v\nwant %#v", i, got[i], tc.want[i])
					}
				}
				if s := summaryOf(t, parts[0]); !reflect.DeepEqual(s, tc.wantSummary) {
					t.Errorf("summary %v, want %v", s, tc.wantSummary)
				}
			})
		}
	}
}

func TestBuildOrderAndHash(t *testing.T) {
	fs := workloadFindings("shop", 50)
	opt := Options{MaxBytes: 16 << 10, Now: fixedNow}
	base := Build(opt, "shop", fs, nil)

	shuffled := slices.Clone(fs)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	sorted := slices.Clone(fs)
	finding.Sort(sorted)

	// The nanoseconds of a timestamp are written with 1 to 9 digits.
	later := opt
	later.Now = func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }
	latest := opt
	latest.Now = func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 999_999_999, time.UTC) }
	changed := slices.Clone(shuffled)
	changed[len(changed)/2].Message += " (changed)"

	hashes := func(parts []*unstructured.Unstructured) []string {
		var hs []string
		for _, p := range parts {
			hs = append(hs, p.GetAnnotations()[AnnotationHash])
		}
		return hs
	}
	t.Run("results are in finding order", func(t *testing.T) {
		got := results(t, base)
		for i, r := range got {
			name := r["resources"].([]any)[0].(map[string]any)["name"]
			if name != sorted[i].Resource.Name || r["policy"] != sorted[i].RuleID {
				t.Fatalf("result %d is %v %v, want %s %s", i, r["policy"], name, sorted[i].RuleID, sorted[i].Resource.Name)
			}
		}
	})
	t.Run("input order does not matter", func(t *testing.T) {
		again := Build(opt, "shop", shuffled, nil)
		if !reflect.DeepEqual(again, base) {
			t.Error("Build of the same findings in another order differs")
		}
	})
	t.Run("Build does not reorder its input", func(t *testing.T) {
		before := slices.Clone(shuffled)
		Build(opt, "shop", shuffled, nil)
		if !reflect.DeepEqual(before, shuffled) {
			t.Error("Build changed the caller's slice")
		}
	})
	t.Run("the time changes neither the parts nor their hashes", func(t *testing.T) {
		for _, o := range []Options{later, latest} {
			if !slices.Equal(hashes(Build(o, "shop", fs, nil)), hashes(base)) {
				t.Errorf("at %v: hashes differ when only the time differs", o.Now())
			}
		}
	})
	t.Run("a changed result changes its part's hash only", func(t *testing.T) {
		after := hashes(Build(opt, "shop", changed, nil))
		before := hashes(base)
		if len(after) != len(before) {
			t.Fatalf("%d parts, want %d", len(after), len(before))
		}
		differ := 0
		for i := range after {
			if after[i] != before[i] {
				differ++
			}
		}
		if differ != 1 {
			t.Errorf("%d parts' hashes changed, want 1", differ)
		}
	})
	t.Run("same results under another API hash apart", func(t *testing.T) {
		wg := opt
		wg.API = WGPolicy
		if slices.Equal(hashes(Build(wg, "shop", fs, nil)), hashes(base)) {
			t.Error("openreports and wgpolicyk8s parts have the same hashes")
		}
	})
}

func TestBuildCutsPartsWhereverTheTimeIs(t *testing.T) {
	// A timestamp's nanoseconds take 1 to 9 digits; were parts cut by the real sizes,
	// a Sync at another time would move results between parts and rewrite them all.
	fs := workloadFindings("shop", 100)
	at := func(nanos int) func() time.Time {
		return func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, nanos, time.UTC) }
	}
	for maxBytes := 6000; maxBytes <= 24000; maxBytes += 250 {
		var first []string
		for _, nanos := range []int{0, 999_999_999, 12_345} {
			var hs []string
			for _, u := range Build(Options{MaxBytes: maxBytes, Now: at(nanos)}, "shop", fs, nil) {
				hs = append(hs, u.GetAnnotations()[AnnotationHash])
			}
			if first == nil {
				first = hs
			} else if !slices.Equal(hs, first) {
				t.Fatalf("MaxBytes %d: parts at %d ns differ from parts at 0 ns", maxBytes, nanos)
			}
		}
	}
}

func TestBuildTruncatesAResultTooLargeForAReport(t *testing.T) {
	huge := finding.Finding{
		RuleID: "rbac/escalation-path", Severity: finding.High, Title: "Escalation path",
		Message:  strings.Repeat("subject ops can bind role admin → ", 2000),
		Resource: finding.Resource{APIVersion: "v1", Kind: "ServiceAccount", Namespace: "shop", Name: "ops"},
	}
	opt := Options{MaxBytes: 8 << 10, Now: fixedNow}
	parts := Build(opt, "shop", append(workloadFindings("shop", 3), huge), nil)
	for _, p := range parts {
		if size := jsonSize(t, p); size > opt.maxBytes()-serverReserve {
			t.Errorf("%s is %d bytes, over %d", p.GetName(), size, opt.maxBytes()-serverReserve)
		}
	}
	var found bool
	for _, r := range results(t, parts) {
		msg, _ := r["message"].(string)
		if r["policy"] == huge.RuleID {
			found = true
			if !strings.HasSuffix(msg, truncated) || !strings.HasPrefix(huge.Message, strings.TrimSuffix(msg, truncated)) {
				t.Errorf("message not cut to a prefix with the mark: %q", msg)
			}
		}
	}
	if !found {
		t.Fatal("the large result is missing")
	}
}

func TestParseAPI(t *testing.T) {
	cases := []struct {
		in      string
		want    API
		wantErr bool
	}{
		{"openreports", OpenReports, false},
		{"wgpolicyk8s", WGPolicy, false},
		{"WGPolicyK8s", WGPolicy, false},
		{"policyreport", 0, true},
	}
	for _, tc := range cases {
		got, err := ParseAPI(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseAPI(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err == nil && got.String() != strings.ToLower(tc.in) {
			t.Errorf("ParseAPI(%q).String() = %q", tc.in, got.String())
		}
	}
}

func TestPartNumber(t *testing.T) {
	cases := []struct {
		name string
		want int
	}{
		{"moat-shop", 1},
		{"moat-shop-part-2", 2},
		{"moat-shop-part-12", 12},
		{"moat-shop-part-1", 0},
		{"moat-shop-part-02", 0},
		{"moat-shop-part-x", 0},
		{"moat-shopping", 0},
		{"moat-shop-part-2-extra", 0},
	}
	for _, tc := range cases {
		if got := partNumber("moat-shop", tc.name); got != tc.want {
			t.Errorf("partNumber(moat-shop, %q) = %d, want %d", tc.name, got, tc.want)
		}
	}
}

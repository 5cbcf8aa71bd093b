package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// reportFinding is a finding as Moat's JSON writes it (internal/finding), as much of it as
// a report holds.
type reportFinding struct {
	RuleID     string            `json:"ruleID"`
	Severity   string            `json:"severity"`
	Title      string            `json:"title"`
	Message    string            `json:"message"`
	Resource   resource          `json:"resource"`
	Path       string            `json:"path,omitempty"`
	Frameworks map[string]string `json:"frameworks,omitempty"`
	Suppressed *struct {
		Kind   string `json:"kind"`
		Reason string `json:"reason"`
	} `json:"suppressed,omitempty"`
}

// failingObjects are n Deployments of namespace ns with three findings each, as the
// workload rules would find them on privileged, root, unbounded containers; every tenth
// object's low finding is suppressed.
func failingObjects(ns string, n int) []reportFinding {
	fs := make([]reportFinding, 0, 3*n)
	for i := range n {
		res := resource{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: fmt.Sprintf("worker-%05d", i)}
		fs = append(fs,
			reportFinding{
				RuleID: "pod/privileged-container", Severity: "critical", Title: "Container runs privileged",
				Message: `container "worker" sets securityContext.privileged=true`, Resource: res,
				Path:       "spec.template.spec.containers[0].securityContext.privileged",
				Frameworks: map[string]string{"pss": "baseline/privileged", "cis": "5.2.2", "nsa": "pod-security", "mitre": "T1611"},
			},
			reportFinding{
				RuleID: "pod/run-as-root", Severity: "high", Title: "Container may run as root",
				Message: `container "worker" sets no runAsNonRoot and its image's user is unknown`, Resource: res,
				Path:       "spec.template.spec.containers[0].securityContext.runAsNonRoot",
				Frameworks: map[string]string{"pss": "restricted/runAsNonRoot", "cis": "5.2.6"},
			},
			reportFinding{
				RuleID: "workload/no-resource-limits", Severity: "low", Title: "Container has no resource limits",
				Message: `container "worker" sets no memory limit`, Resource: res,
				Path: "spec.template.spec.containers[0].resources.limits.memory",
			},
		)
		if i%10 == 0 {
			fs[len(fs)-1].Suppressed = &struct {
				Kind   string `json:"kind"`
				Reason string `json:"reason"`
			}{"annotation", "sized by the batch scheduler"}
		}
	}
	return fs
}

// reportsDriver builds internal/operator/reports/reportsdriver, the reports package as a
// program (this module cannot import Moat's internal packages).
func reportsDriver(t *testing.T) string {
	t.Helper()
	root, err := kubetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "reportsdriver")
	cmd := exec.Command("go", "build", "-o", bin, "./internal/operator/reports/reportsdriver")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build reportsdriver: %v\n%s", err, out)
	}
	return bin
}

// driver runs commands of the reports driver.
type driver struct {
	bin, kubeconfig string
	flags           []string // the report API and how to list reports
}

// run runs one command with in as its stdin, and decodes its output into out.
func (d driver) run(t *testing.T, in any, out any, args ...string) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	args = append(slices.Clone(d.flags), args...)
	cmd := exec.Command(d.bin, append([]string{"-kubeconfig", d.kubeconfig}, args...)...)
	cmd.Stdin = bytes.NewReader(b)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("reportsdriver %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if out != nil {
		if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
			t.Fatalf("reportsdriver %s: output %q: %v", strings.Join(args, " "), stdout.String(), err)
		}
	}
}

// sync makes the reports of ns hold fs and errs, and says whether it wrote.
func (d driver) sync(t *testing.T, ns string, fs []reportFinding, errs []string) bool {
	t.Helper()
	var out struct {
		Wrote *bool `json:"wrote"`
	}
	d.run(t, map[string]any{"findings": fs, "errors": errs}, &out, "sync", ns)
	if out.Wrote == nil {
		t.Fatalf("reportsdriver sync %q: no answer", ns)
	}
	return *out.Wrote
}

// applyReportCRDs creates the chart's report CRDs and waits until they are established.
func applyReportCRDs(t *testing.T, dyn dynamic.Interface) {
	t.Helper()
	root, err := kubetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "deploy", "charts", "moat", "crds", "*.yaml"))
	if err != nil || len(files) != 4 {
		t.Fatalf("want the 4 report CRDs in deploy/charts/moat/crds, have %v (%v)", files, err)
	}
	crds := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range decodeObjects(t, bytes.NewReader(b)) {
			if _, err := crds.Create(t.Context(), u, metav1.CreateOptions{}); err != nil {
				t.Fatalf("%s: the API server refuses the CRD: %v", filepath.Base(f), err)
			}
			eventually(t, "CRD "+u.GetName()+" established", func() (bool, error) {
				got, err := crds.Get(t.Context(), u.GetName(), metav1.GetOptions{})
				if err != nil {
					return false, err
				}
				conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
				for _, c := range conds {
					c := c.(map[string]any)
					if c["type"] == "Established" && c["status"] == "True" {
						return true, nil
					}
				}
				return false, nil
			})
		}
	}
}

// storedReport is a report part as the API server returns it.
type storedReport struct {
	name        string
	part, parts int
	size        int // bytes of JSON
	server      int // of which the metadata the API server adds
	rv          string
	results     []map[string]any
	summary     map[string]int64
}

// readReports lists Moat's reports of ns (of the cluster when ns is ""), in part order.
func readReports(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns string) []storedReport {
	t.Helper()
	var ri dynamic.ResourceInterface = dyn.Resource(gvr)
	if ns != "" {
		ri = dyn.Resource(gvr).Namespace(ns)
	}
	l, err := ri.List(t.Context(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=moat"})
	if err != nil {
		t.Fatalf("list %s in %q: %v", gvr.Resource, ns, err)
	}
	var out []storedReport
	for _, u := range l.Items {
		b, err := json.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		r := storedReport{name: u.GetName(), size: len(b), rv: u.GetResourceVersion(), summary: map[string]int64{}}
		own := u.DeepCopy()
		for _, f := range []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"} {
			unstructured.RemoveNestedField(own.Object, "metadata", f)
		}
		if b, err = json.Marshal(own.Object); err != nil {
			t.Fatal(err)
		}
		r.server = r.size - len(b)
		r.part, _ = strconv.Atoi(u.GetLabels()["reports.moat.dev/part"])
		r.parts, _ = strconv.Atoi(u.GetLabels()["reports.moat.dev/parts"])
		rs, _, _ := unstructured.NestedSlice(u.Object, "results")
		for _, x := range rs {
			r.results = append(r.results, x.(map[string]any))
		}
		sum, _, _ := unstructured.NestedMap(u.Object, "summary")
		for k, v := range sum {
			r.summary[k], _ = v.(int64)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b storedReport) int { return a.part - b.part })
	return out
}

// checkParts checks that parts are the numbered parts of the report base, each under
// maxBytes, with n results in all counted by their summaries, and returns the results.
func checkParts(t *testing.T, parts []storedReport, base string, n, maxBytes int) []map[string]any {
	t.Helper()
	var all []map[string]any
	for i, p := range parts {
		want := base
		if i > 0 {
			want = fmt.Sprintf("%s-part-%d", base, i+1)
		}
		if p.name != want || p.part != i+1 || p.parts != len(parts) {
			t.Errorf("part %d is %s labelled part %d of %d; want %s, part %d of %d", i+1, p.name, p.part, p.parts, want, i+1, len(parts))
		}
		if p.size > maxBytes {
			t.Errorf("%s is %d bytes as stored, over %d", p.name, p.size, maxBytes)
		}
		if counted := p.summary["fail"] + p.summary["skip"] + p.summary["error"]; counted != int64(len(p.results)) {
			t.Errorf("%s: summary %v counts %d results, it has %d", p.name, p.summary, counted, len(p.results))
		}
		all = append(all, p.results...)
	}
	if len(all) != n {
		t.Errorf("%d results in %d parts of %s, want %d", len(all), len(parts), base, n)
	}
	return all
}

// TestReportsAgainstAPIServer writes reports with the reports package through a real API
// server: the chart's CRDs are accepted; a namespace of 5,000 failing objects is split
// into parts the server accepts, each under the size limit, holding every finding; an
// unchanged sync writes nothing; a report that shrinks loses its stale parts; Prune
// deletes the reports of namespaces that are gone. Both report APIs. It logs the bytes of
// the reports and compares them with one report per workload.
func TestReportsAgainstAPIServer(t *testing.T) {
	c := kubetest.Start(t)
	cfg := c.RESTConfig()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bin, kubeconfig := reportsDriver(t), kubeconfigFor(t, cfg)
	applyReportCRDs(t, dyn)
	namespaces := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"})
	for _, ns := range []string{"shop", "bank"} {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
		if _, err := namespaces.Create(t.Context(), u, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	const (
		objects  = 5000
		maxBytes = 1 << 20 // the package's default MaxBytes
	)
	big := failingObjects("shop", objects)
	clusterFindings := []reportFinding{{
		RuleID: "rbac/wildcard-verbs", Severity: "high", Title: "Role grants every verb",
		Message:  `rule 0 grants "*" on pods`,
		Resource: resource{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "ops"},
	}}
	inputErrors := []string{"list networkpolicies.networking.k8s.io: forbidden"}

	// Each API with one of the Writer's ways to list reports: as metadata only
	// (NewWriterForConfig, what the operator uses) or whole (NewWriter).
	apis := []struct {
		name                  string
		listMetadata          bool
		namespaced, clusterwd schema.GroupVersionResource
	}{
		{"openreports", true,
			schema.GroupVersionResource{Group: "openreports.io", Version: "v1alpha1", Resource: "reports"},
			schema.GroupVersionResource{Group: "openreports.io", Version: "v1alpha1", Resource: "clusterreports"}},
		{"wgpolicyk8s", false,
			schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"},
			schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "clusterpolicyreports"}},
	}
	for _, api := range apis {
		t.Run(api.name, func(t *testing.T) {
			d := driver{bin, kubeconfig, []string{"-api", api.name, "-list-metadata=" + strconv.FormatBool(api.listMetadata)}}
			start := time.Now()
			if !d.sync(t, "shop", big, nil) {
				t.Fatal("first sync of shop wrote nothing")
			}
			took := time.Since(start)
			parts := readReports(t, dyn, api.namespaced, "shop")
			if len(parts) < 2 {
				t.Fatalf("%d findings in %d report(s), want several parts", len(big), len(parts))
			}
			results := checkParts(t, parts, "moat-shop", len(big), maxBytes)
			checkSameFindings(t, results, big)

			// The figures the issue asks for: the bytes of the reports in etcd and the
			// largest object, against one report per workload (as Build would write each).
			var total, largest, server int
			for _, p := range parts {
				total += p.size
				largest = max(largest, p.size)
				server += p.server
			}
			var sizes struct {
				Parts     []int `json:"parts"`
				PerObject []int `json:"perObject"`
			}
			d.run(t, map[string]any{"findings": big}, &sizes, "sizes", "shop")
			// What the server adds to each object (uid, resourceVersion, managedFields...),
			// measured on Moat's parts, is added to every per-workload report too.
			perObjectStored := sumBytes(sizes.PerObject) + len(sizes.PerObject)*server/len(parts)
			t.Logf("%s: %d objects, %d findings: %d parts, %d bytes stored (largest %d), written in %v; "+
				"one report per workload: %d objects, %d bytes built (+ server metadata ≈ %d bytes stored), largest %d",
				api.name, objects, len(big), len(parts), total, largest, took.Round(time.Millisecond),
				len(sizes.PerObject), sumBytes(sizes.PerObject), perObjectStored, slices.Max(sizes.PerObject))

			// An unchanged sync writes nothing.
			start = time.Now()
			if d.sync(t, "shop", big, nil) {
				t.Error("a sync of unchanged findings wrote")
			}
			t.Logf("%s: an unchanged sync of the 15,000 findings took %v (listing reports as metadata only: %v)",
				api.name, time.Since(start).Round(time.Millisecond), api.listMetadata)
			for i, p := range readReports(t, dyn, api.namespaced, "shop") {
				if p.rv != parts[i].rv {
					t.Errorf("%s changed (resourceVersion %s → %s) on an unchanged sync", p.name, parts[i].rv, p.rv)
				}
			}

			// Shrunk to 10 findings: one part, the others deleted.
			if !d.sync(t, "shop", big[:10], nil) {
				t.Error("a sync of fewer findings wrote nothing")
			}
			shrunk := readReports(t, dyn, api.namespaced, "shop")
			if len(shrunk) != 1 {
				t.Errorf("after shrinking to 10 findings: %d parts, want 1", len(shrunk))
			}
			checkSameFindings(t, checkParts(t, shrunk, "moat-shop", 10, maxBytes), big[:10])

			// The cluster report holds cluster-scoped findings and the input errors.
			if !d.sync(t, "", clusterFindings, inputErrors) {
				t.Error("the first sync of the cluster report wrote nothing")
			}
			cluster := readReports(t, dyn, api.clusterwd, "")
			rs := checkParts(t, cluster, "moat-cluster", 2, maxBytes)
			if len(cluster) == 1 && (cluster[0].summary["fail"] != 1 || cluster[0].summary["error"] != 1) {
				t.Errorf("cluster report summary %v, want 1 fail and 1 error", cluster[0].summary)
			}
			if len(rs) == 2 && (rs[1]["policy"] != "moat/input" || rs[1]["result"] != "error" || rs[1]["message"] != inputErrors[0]) {
				t.Errorf("input error result %v", rs[1])
			}

			// Prune deletes the reports of a namespace that is not kept, and only those.
			if !d.sync(t, "bank", failingObjects("bank", 3), nil) {
				t.Error("the first sync of bank wrote nothing")
			}
			d.run(t, struct{}{}, nil, "prune", "shop")
			if got := readReports(t, dyn, api.namespaced, "bank"); len(got) != 0 {
				t.Errorf("bank has %d reports after Prune, want none", len(got))
			}
			if got := readReports(t, dyn, api.namespaced, "shop"); len(got) != 1 {
				t.Errorf("shop has %d reports after Prune, want its 1", len(got))
			}
			if got := readReports(t, dyn, api.clusterwd, ""); len(got) != 1 {
				t.Errorf("%d cluster reports after Prune, want 1 (never pruned)", len(got))
			}
		})
	}
}

// checkSameFindings checks that the results are the findings, one for one: rule, object,
// outcome and message.
func checkSameFindings(t *testing.T, results []map[string]any, fs []reportFinding) {
	t.Helper()
	key := func(policy, name, outcome, message any) string {
		return fmt.Sprintf("%v %v %v %v", policy, name, outcome, message)
	}
	var got, want []string
	for _, r := range results {
		var name any
		if res, ok := r["resources"].([]any); ok && len(res) == 1 {
			name = res[0].(map[string]any)["name"]
		}
		got = append(got, key(r["policy"], name, r["result"], r["message"]))
	}
	for _, f := range fs {
		outcome := "fail"
		if f.Suppressed != nil {
			outcome = "skip"
		}
		want = append(want, key(f.RuleID, f.Resource.Name, outcome, f.Message))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the reports' %d results are not the %d findings", len(got), len(want))
	}
}

func sumBytes(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

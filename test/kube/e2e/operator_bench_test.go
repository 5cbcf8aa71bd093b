package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// BenchmarkOperatorInitialSync10k loads the 10,000 objects of bench/gen (seed 1) into
// a real API server with the chart installed, then starts the operator (the chart's
// service account) and times it until its first full evaluation has written every
// report. It reports the wall time, the operator's peak RSS, the reports' total bytes
// as the API server returns them and the largest report object, and what one report per
// workload would take for the same results.
//
//	cd test/kube && MOAT_E2E=1 go test ./e2e -run '^$' -bench OperatorInitialSync10k -benchtime 3x
func BenchmarkOperatorInitialSync10k(b *testing.B) {
	c := kubetest.Start(b, kubetest.WithControllerManager())
	admin := c.RESTConfig()
	gen := execute(b, tool(b, "gen"), "-n", "10000", "-seed", "1")
	if gen.code != 0 {
		b.Fatalf("gen: exit %d\n%s", gen.code, gen.stderr)
	}
	objs := decodeObjects(b, strings.NewReader(gen.stdout))
	n := create(b, admin, objs)
	b.Logf("created %d generated objects", n)
	chart := render(b, "-n", operatorNS, "deploy/charts/moat")
	create(b, admin, append(nsObject(operatorNS), chart...))
	sa, err := c.ServiceAccountConfig(context.Background(), operatorNS, "moat-operator")
	if err != nil {
		b.Fatal(err)
	}
	kc := kubeconfigFor(b, sa)
	dyn := dynamic.NewForConfigOrDie(admin)

	var walls []time.Duration
	var peak int64
	b.ResetTimer()
	for b.Loop() {
		// Each run starts from no reports, as a first install does.
		deleteReports(b, dyn)
		start := time.Now()
		p := startBenchOperator(b, kc)
		for !strings.Contains(p.stderr.String(), `"msg":"reconciled","mode":"full"`) {
			if time.Since(start) > 5*time.Minute {
				b.Fatalf("no full reconcile within 5 minutes\n%s", tail(p.stderr.String(), 3000))
			}
			time.Sleep(50 * time.Millisecond)
		}
		walls = append(walls, time.Since(start))
		peak = max(peak, peakRSS(b, p.cmd.Process.Pid))
		p.stop()
	}
	b.StopTimer()
	slices.Sort(walls)
	b.Logf("initial sync wall times, sorted: %v", walls)
	total, largest, count, perWorkload, workloads := reportSizes(b, dyn)
	b.Logf("reports: %d objects, %d bytes in all, largest %d bytes; one report per workload: %d objects, about %d bytes",
		count, total, largest, workloads, perWorkload)
	b.ReportMetric(walls[len(walls)/2].Seconds(), "median-sync-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(total), "report-bytes")
	b.ReportMetric(float64(largest), "largest-report-bytes")
	b.ReportMetric(float64(count), "reports")
	b.ReportMetric(float64(perWorkload), "per-workload-bytes")
}

func nsObject(name string) []*unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("Namespace")
	u.SetName(name)
	return []*unstructured.Unstructured{u}
}

// startBenchOperator starts the operator without a leader election (one replica) and
// without waiting for readiness: the benchmark times from the start.
func startBenchOperator(b *testing.B, kubeconfig string) *operatorProc {
	port := freePort(b)
	p := &operatorProc{stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(tool(b, "moat"), "serve", "operator", "--kubeconfig", kubeconfig, "--leader-elect=false",
		"--health-addr", fmt.Sprintf("127.0.0.1:%d", port), "--metrics-addr", "", "--log-level", "debug")
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	b.Cleanup(p.stop)
	return p
}

func deleteReports(b *testing.B, dyn dynamic.Interface) {
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=moat"}
	if err := dyn.Resource(openClusterReports).DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil {
		b.Fatal(err)
	}
	l, err := dyn.Resource(openReports).List(ctx, sel)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range l.Items {
		if err := dyn.Resource(openReports).Namespace(r.GetNamespace()).Delete(ctx, r.GetName(), metav1.DeleteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// reportSizes measures the reports as the API server returns them (JSON), and what
// the same results would take as one report per workload: each resource's results in
// an object of its own, with the envelope (metadata and summary) of the smallest
// report written.
func reportSizes(b *testing.B, dyn dynamic.Interface) (total, largest, count, perWorkload, workloads int) {
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=moat"}
	var items []unstructured.Unstructured
	l, err := dyn.Resource(openReports).List(ctx, sel)
	if err != nil {
		b.Fatal(err)
	}
	items = append(items, l.Items...)
	cl, err := dyn.Resource(openClusterReports).List(ctx, sel)
	if err != nil {
		b.Fatal(err)
	}
	items = append(items, cl.Items...)
	envelope := -1
	byResource := map[string]int{}
	for _, it := range items {
		js, err := json.Marshal(it.Object)
		if err != nil {
			b.Fatal(err)
		}
		total += len(js)
		largest = max(largest, len(js))
		count++
		results, _, _ := unstructured.NestedSlice(it.Object, "results")
		rest := len(js)
		for _, r := range results {
			rj, _ := json.Marshal(r)
			rest -= len(rj) + 1
			m, _ := r.(map[string]any)
			key := "input"
			if res, _ := m["resources"].([]any); len(res) > 0 {
				key = fmt.Sprint(res[0])
			}
			byResource[key] += len(rj) + 1
		}
		if envelope < 0 || rest < envelope {
			envelope = rest
		}
	}
	for _, n := range byResource {
		perWorkload += envelope + n
	}
	return total, largest, count, perWorkload, len(byResource)
}

// peakRSS is a process's peak resident set (VmHWM), in bytes.
func peakRSS(b *testing.B, pid int) int64 {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(st), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmHWM")
	return 0
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// BenchmarkClusterScan10k loads the 10,000 objects of bench/gen (seed 1) into a real API
// server and times `moat scan --cluster -o json` over them. It reports Moat's wall time
// (ns/op), its CPU time and peak RSS, and the CPU time the API server and etcd spent
// serving the scan: the lists are the server's work, and on a 2-core machine the two
// compete for the same cores.
//
//	cd test/kube && go test ./e2e -run '^$' -bench ClusterScan10k -benchtime 3x
func BenchmarkClusterScan10k(b *testing.B) {
	c := kubetest.Start(b)
	admin := c.RESTConfig()
	gen := execute(b, tool(b, "gen"), "-n", "10000", "-seed", "1")
	if gen.code != 0 {
		b.Fatalf("gen: exit %d\n%s", gen.code, gen.stderr)
	}
	objs := decodeObjects(b, strings.NewReader(gen.stdout))
	start := time.Now()
	n := create(b, admin, objs)
	b.Logf("created %d of %d generated objects in %s", n, len(objs), time.Since(start).Round(time.Millisecond))
	kc := kubeconfigFor(b, admin)
	pids := c.Pids()

	var moatCPU, serverCPU time.Duration
	var peak int64
	var objects int
	var walls []time.Duration
	b.ResetTimer()
	for b.Loop() {
		before := serverTime(b, pids)
		rep, r := scanJSON(b, []int{0, 1}, "--cluster", "--kubeconfig", kc)
		serverCPU += serverTime(b, pids) - before
		if len(rep.Warnings)+len(rep.Errors) > 0 {
			b.Fatalf("warnings %q, errors %q", rep.Warnings, rep.Errors)
		}
		walls = append(walls, r.wall)
		moatCPU += r.cpu
		peak = max(peak, r.maxRSS)
		objects = rep.Summary.Objects
	}
	b.StopTimer()
	slices.Sort(walls)
	b.Logf("moat wall times, sorted: %v", walls)
	b.ReportMetric(walls[len(walls)/2].Seconds(), "median-wall-s")
	b.ReportMetric(float64(objects), "objects")
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(moatCPU.Seconds()/float64(b.N), "moat-cpu-s/op")
	b.ReportMetric(serverCPU.Seconds()/float64(b.N), "server-cpu-s/op")
}

// serverTime is the CPU time kube-apiserver and etcd have used so far.
func serverTime(tb testing.TB, pids map[string]int) time.Duration {
	tb.Helper()
	var total time.Duration
	for _, name := range []string{"kube-apiserver", "etcd"} {
		pid, ok := pids[name]
		if !ok {
			tb.Fatalf("no pid for %s in %v", name, pids)
		}
		d, err := cpuTime(pid)
		if err != nil {
			tb.Fatal(err)
		}
		total += d
	}
	return total
}

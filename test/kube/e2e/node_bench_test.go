package e2e

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkMoatNode times `moat node` on a control-plane node: the hardened
// control plane of TestNodeInsecureAndHardened (live kube-apiserver,
// kube-controller-manager and etcd, found by their PIDs in /proc with --root /),
// whose files the moat config points at: the static pod manifests, the PKI
// directory with its certificates, the kubeconfig, the encryption, admission and
// audit configurations the flags name. The whole process is timed, start-up
// included, as a person or a Job runs it. The target is a median of
// 0.5 s or less; bench/node.sh runs this 5 times and prints it.
//
//	cd test/kube && go test ./e2e -run '^$' -bench MoatNode -benchtime 5x
func BenchmarkMoatNode(b *testing.B) {
	requireRoot(b)
	cp := startHardenedControlPlane(b)
	args := cp.args(b)
	moatNodeJSON(b, 0, 3, args...) // warms the page cache, and checks the run is the real one

	var walls []time.Duration
	var cpu time.Duration
	var peak int64
	for b.Loop() {
		r := moat(b, args...)
		if r.code != 0 {
			b.Fatalf("moat node: exit %d\n%s", r.code, r.stderr)
		}
		walls = append(walls, r.wall)
		cpu += r.cpu
		peak = max(peak, r.maxRSS)
	}
	b.StopTimer()
	slices.Sort(walls)
	b.Logf("moat node wall times, sorted: %v", walls)
	b.ReportMetric(walls[len(walls)/2].Seconds(), "median-wall-s")
	b.ReportMetric(cpu.Seconds()/float64(len(walls)), "cpu-s/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
}

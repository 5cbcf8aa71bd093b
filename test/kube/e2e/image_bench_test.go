package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// BenchmarkImageScanCluster10kPods puts 10,000 pods that run 200 distinct images (in a
// registry on loopback) into a real API server, then times `moat image scan --cluster`:
// the first, cold scan once, then the warm-cache re-scans (the target: ≤ 2 s).
//
//	cd test/kube && MOAT_E2E=1 go test ./e2e -run '^$' -bench ImageScanCluster10kPods -benchtime 3x
func BenchmarkImageScanCluster10kPods(b *testing.B) {
	// The controller manager makes each namespace's default ServiceAccount, without
	// which the API server admits no pod.
	c := kubetest.Start(b, kubetest.WithControllerManager())
	host, db := startImageServeTB(b, "-generate", "200")
	var objs []*unstructured.Unstructured
	objs = append(objs, nsObject("load")...)
	for i := range 10000 {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": fmt.Sprintf("pod-%d", i), "namespace": "load"},
			"spec": map[string]any{"containers": []any{map[string]any{
				"name": "app", "image": fmt.Sprintf("%s/gen/app%d:1", host, i%200),
			}}},
		}}
		objs = append(objs, u)
	}
	start := time.Now()
	n := create(b, c.RESTConfig(), objs)
	b.Logf("created %d objects in %s", n, time.Since(start).Round(time.Second))
	kc := kubeconfigFor(b, c.RESTConfig())
	cache := b.TempDir()
	scanOnce := func() run {
		r := moat(b, "image", "scan", "--cluster", "--kubeconfig", kc, "--insecure-registry", "--db", db, "--cache-dir", cache, "-o", "json")
		if r.code != 1 {
			b.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		return r
	}
	cold := scanOnce()
	if !strings.Contains(cold.stderr, "200 image references, 200 distinct images: 200 read, 0 from the cache") {
		b.Fatalf("cold scan: %s", cold.stderr)
	}
	var warm []time.Duration
	b.ResetTimer()
	for b.Loop() {
		r := scanOnce()
		if !strings.Contains(r.stderr, "200 distinct images: 0 read, 200 from the cache") {
			b.Fatalf("warm scan: %s", r.stderr)
		}
		warm = append(warm, r.wall)
	}
	b.StopTimer()
	slices.Sort(warm)
	b.Logf("cold scan %s; warm re-scans, sorted: %v", cold.wall.Round(time.Millisecond), warm)
	b.ReportMetric(cold.wall.Seconds(), "cold-s")
	b.ReportMetric(warm[len(warm)/2].Seconds(), "median-warm-s")
}

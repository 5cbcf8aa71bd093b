package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// TestAdmissionLatency measures pod creation through the real API server with and
// without Moat's webhook (one replica on loopback, the printed webhook configuration,
// default rules), at 1 and at 32 concurrent clients, and logs p50 and p99 of each and
// the overhead as their difference. Every pod is compliant, so each is admitted and
// stored: the figures include etcd.
//
// It is a measurement, not a check, so it runs only when asked:
//
//	cd test/kube && MOAT_E2E=1 MOAT_MEASURE=1 go test ./e2e -run TestAdmissionLatency -v
func TestAdmissionLatency(t *testing.T) {
	if os.Getenv("MOAT_MEASURE") == "" {
		t.Skip("a measurement; set MOAT_MEASURE=1 to run it")
	}
	c := kubetest.Start(t)
	cfg := c.RESTConfig()
	cfg.QPS, cfg.Burst = -1, 0 // no client-side rate limit
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ensureNamespace(t, cs, "bench")
	const n = 400
	type result struct{ p50, p99 time.Duration }
	measure := func(label string, clients int) result {
		lat := createPods(t, cs, label, n, clients)
		slices.Sort(lat)
		r := result{lat[len(lat)/2], lat[len(lat)*99/100]}
		t.Logf("%-16s %2d clients: %d creates, p50 %v, p99 %v", label, clients, n, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond))
		return r
	}
	without := map[int]result{}
	for _, k := range []int{1, 32} {
		without[k] = measure("without-webhook", k)
	}
	wh := startWebhook(t, c, t.TempDir(), freePort(t), "admission: {}\n")
	vwc := printedWebhookConfiguration(t, wh.url+"/validate", c.CACert())
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventuallyNil(t, "webhook not in effect", func() error {
		bad := pod("bench", "probe-privileged", func(p *corev1.Pod) {
			yes := true
			p.Spec.Containers[0].SecurityContext.Privileged = &yes
			p.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
		})
		if _, err := cs.CoreV1().Pods("bench").Create(ctx, bad, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err == nil {
			return fmt.Errorf("admitted")
		}
		return nil
	})
	for _, k := range []int{1, 32} {
		with := measure("with-webhook", k)
		t.Logf("overhead at %2d clients: p50 %+v, p99 %+v", k, (with.p50 - without[k].p50).Round(10*time.Microsecond), (with.p99 - without[k].p99).Round(10*time.Microsecond))
	}
}

// createPods creates n compliant pods with this many concurrent clients and returns the
// latency of each create.
func createPods(t *testing.T, cs kubernetes.Interface, label string, n, clients int) []time.Duration {
	t.Helper()
	ctx := context.Background()
	jobs := make(chan int)
	var mu sync.Mutex
	var lat []time.Duration
	var errs []error
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range jobs {
				p := pod("bench", fmt.Sprintf("%s-%d-%d", label, clients, i), nil)
				t0 := time.Now()
				_, err := cs.CoreV1().Pods("bench").Create(ctx, p, metav1.CreateOptions{})
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d creates failed, e.g. %v", len(errs), errs[0])
	}
	return lat
}

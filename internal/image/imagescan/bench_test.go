package imagescan

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/moat-dev/moat/internal/image"
	"github.com/moat-dev/moat/internal/image/registry"
	"github.com/moat-dev/moat/internal/inventory"
)

// BenchmarkScan10000Pods200Images scans the images of 10,000 pods that run 200
// distinct images from a registry on loopback: cold (no cache), then warm (every
// image's contents cached by digest). It reports the layer reads of the cold scan (the
// issue's target: 200 image fetches, not 10,000), and the wall time of each.
//
//	go test ./internal/image/imagescan -run '^$' -bench Scan10000Pods200Images -benchtime 3x
func BenchmarkScan10000Pods200Images(b *testing.B) {
	reg := startRegistry(b)
	layers := map[string]bool{}
	for i := range 200 {
		img := debianImage(b, fmt.Sprintf("lib%d", i), "1.0-1")
		ls, _ := img.Layers()
		for _, l := range ls {
			d, _ := l.Digest()
			layers[d.String()] = true
		}
		push(b, reg.host, fmt.Sprintf("team/app%d:1", i), img)
	}
	var objs []*inventory.Object
	gvk := schema.GroupVersionKind{Version: "v1", Kind: "Pod"}
	for i := range 10000 {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%d", i), Namespace: fmt.Sprintf("ns-%d", i%50)},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: fmt.Sprintf("%s/team/app%d:1", reg.host, i%200)}}}}
		p.SetGroupVersionKind(gvk)
		objs = append(objs, inventory.New(p, gvk, nil))
	}
	inv := inventory.NewInventory(objs)
	client := registry.New(registry.Options{Insecure: true, Timeout: 30 * time.Second})

	var cold, warm []time.Duration
	for b.Loop() {
		cache, err := registry.OpenCache(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		opt := Options{Registry: client, Cache: cache}
		reg.mu.Lock()
		clear(reg.reads)
		reg.mu.Unlock()

		start := time.Now()
		uses := image.Uses(inv)
		_, st := Scan(context.Background(), uses, opt)
		cold = append(cold, time.Since(start))
		if st.References != 200 || st.Digests != 200 || st.Fetched != 200 {
			b.Fatalf("cold scan: %s", st)
		}
		if n := reg.layerReads(layers); n != 200 {
			b.Fatalf("cold scan read layers %d times, want 200", n)
		}

		start = time.Now()
		uses = image.Uses(inv)
		_, st = Scan(context.Background(), uses, opt)
		warm = append(warm, time.Since(start))
		if st.Cached != 200 {
			b.Fatalf("warm scan: %s", st)
		}
	}
	b.ReportMetric(float64(median(cold).Milliseconds()), "cold-ms")
	b.ReportMetric(float64(median(warm).Milliseconds()), "warm-ms")
	b.ReportMetric(200, "layer-reads")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

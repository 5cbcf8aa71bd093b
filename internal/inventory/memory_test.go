package inventory

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// TestDecodeStreamsLargeInput streams ~100 MB of manifests through the decoder from a
// generator, the way a 100 MB manifest file is read, and checks that the input is
// never held whole: not while decoding, and not by the objects afterwards.
//
// What it measures: the bytes of live heap objects plus garbage not yet swept
// (runtime/metrics /memory/classes/heap/objects:bytes), sampled every millisecond
// while decoding, with the GC made eager (GOGC=25) so that garbage does not pile up
// between cycles. Sampling can miss a spike shorter than a millisecond, and the
// figure includes some garbage, so it is an approximation of the peak from below
// and above; the margins below are wide for that reason. "retained" is the live heap
// after a full GC with the objects still referenced: what the objects need.
//
// The generated documents are realistic manifests each preceded by a long comment
// block, so that the input is much larger than what its objects need; a decoder that
// kept each document's text rather than its line index would retain the whole 100 MB
// and fail the first check.
func TestDecodeStreamsLargeInput(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 100 MB; skipped with -short")
	}
	const size = 100 << 20
	gen := &genReader{g: manifestGen{comment: 12 << 10}, size: size}

	defer debug.SetGCPercent(debug.SetGCPercent(25))
	runtime.GC()
	base := heapObjects()

	var (
		peak uint64
		stop = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if h := heapObjects(); h > peak {
				peak = h
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	objs, errs := decodeStream(gen, "generated.yaml")
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	runtime.GC()
	retained := int64(heapObjects()) - int64(base)
	growth := int64(peak) - int64(base)
	runtime.KeepAlive(objs)

	if len(errs) > 0 {
		t.Fatalf("%d errors, first %v", len(errs), errs[0])
	}
	if len(objs) != gen.objects {
		t.Fatalf("%d objects, generated %d", len(objs), gen.objects)
	}
	t.Logf("input %d MiB, %d objects in %v; heap: peak growth %d MiB, retained by the objects %d MiB",
		gen.emitted>>20, len(objs), elapsed.Round(time.Millisecond), growth>>20, retained>>20)
	if retained > size/3 {
		t.Errorf("the objects retain %d MiB of heap for %d MiB of input: the document text is kept", retained>>20, size>>20)
	}
	if growth-retained > size/4 {
		t.Errorf("peak heap grew %d MiB beyond the %d MiB the objects need, for %d MiB of input: the stream is held, not streamed",
			(growth-retained)>>20, retained>>20, size>>20)
	}
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// heapObjects is the bytes of heap objects, live or not yet swept.
func heapObjects() uint64 {
	s := make([]metrics.Sample, len(heapSample))
	copy(s, heapSample)
	metrics.Read(s)
	return s[0].Value.Uint64()
}

package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The heap budget of a one-shot scan (see tuneBatchGC).
const (
	// batchHeapFloor is the memory a scan may use before its first collection: a scan
	// of 10,000 dense objects allocates about 210 MB, of which 100 MB at most is live
	// at once, so that the floor lets it run with two collections instead of ten. With
	// the ~74 MiB a started moat process holds, its peak RSS stays near 240 MiB, under
	// its 250 MiB budget (160 MiB measured 212 MiB and 12% more CPU: one more
	// collection, during the final sort).
	batchHeapFloor = 176 << 20
	// batchHeapCap is where the heap stops growing to twice the live heap: at 100,000
	// dense objects the live heap reaches about 800 MB, and twice that would be over
	// the 1.5 GB budget of that scan.
	batchHeapCap = 1400 << 20
)

// tuneBatchGC sets the garbage collector for a command that reads its input, judges
// it, prints and exits: `moat scan`. The servers set their own (webhook.TuneGC).
//
// A scan's heap only grows until the evaluation ends: the inventory and the findings
// stay live, so that the collections the default policy (GOGC=100) makes while the
// heap is small free little, and each one costs its write barriers, assists and a
// quarter of the CPU. The policy here is GOGC=100's — the heap may grow to twice what
// the last collection found live — with a floor (no collection before batchHeapFloor)
// and a cap past which the heap grows by a quarter of the live heap instead of by
// all of it (batchHeapLimit). It is kept by a memory limit that is set again after
// every collection, with GOGC off. GOGC or GOMEMLIMIT set in the environment win: the
// runtime's own policy then applies.
func tuneBatchGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	batchGCOnce.Do(func() {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(batchHeapFloor)
		afterEachGC(func() {
			debug.SetMemoryLimit(batchHeapLimit(liveHeap()))
		})
	})
}

// batchGCOnce: one process, one policy (tests run many scans in one process).
var batchGCOnce sync.Once

// batchHeapLimit is the memory limit for a live heap of live bytes.
func batchHeapLimit(live uint64) int64 {
	if live > math.MaxInt64/2 {
		return math.MaxInt64
	}
	l := int64(live)
	return max(min(2*l, max(batchHeapCap, l+l/4)), batchHeapFloor)
}

// liveHeap is the heap the last collection found live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// afterEachGC calls f on the finalizer goroutine after each collection: a sentinel
// object whose finalizer makes the next one.
func afterEachGC(f func()) {
	type sentinel struct{ _ [16]byte } // not tiny-allocated, so it is freed alone
	var arm func()
	arm = func() {
		runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
			f()
			arm()
		})
	}
	arm()
}

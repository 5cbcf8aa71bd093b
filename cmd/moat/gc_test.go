package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestBatchHeapLimit(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live uint64
		want int64
	}{
		{0, batchHeapFloor},              // nothing live: the floor
		{50 * mib, batchHeapFloor},       // twice the live heap is under the floor
		{100 * mib, 200 * mib},           // GOGC=100's goal
		{700 * mib, 1400 * mib},          // twice the live heap, at the cap
		{800 * mib, batchHeapCap},        // past half the cap: the cap
		{1200 * mib, 1500 * mib},         // past 80% of the cap: a quarter more than live
		{1 << 61, (1 << 61) + (1 << 59)}, // no overflow
		{1 << 62, 1<<63 - 1},             // saturates
		{^uint64(0), 1<<63 - 1},
	} {
		if got := batchHeapLimit(c.live); got != c.want {
			t.Errorf("batchHeapLimit(%d MiB) = %d MiB, want %d MiB", c.live/mib, got/mib, c.want/mib)
		}
	}
}

// TestAfterEachGC checks that the hook runs after every collection, not only the first.
func TestAfterEachGC(t *testing.T) {
	calls := make(chan struct{}, 16)
	afterEachGC(func() {
		select {
		case calls <- struct{}{}:
		default:
		}
	})
	for i := 0; i < 3; i++ {
		runtime.GC()
		select {
		case <-calls:
		case <-time.After(10 * time.Second):
			t.Fatalf("no call after collection %d", i+1)
		}
	}
}

// TestTuneBatchGCLeavesTheEnvironmentsSettings: GOGC or GOMEMLIMIT set by the user win.
func TestTuneBatchGCLeavesTheEnvironmentsSettings(t *testing.T) {
	t.Setenv("GOGC", "150")
	before := debug.SetMemoryLimit(-1)
	tuneBatchGC()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Fatalf("the memory limit changed to %d with GOGC set", got)
	}
}

// gcPercentAtStart is the collector's setting when the tests start, after every init
// and before any test has run a scan (which sets its own policy, tuneBatchGC).
var gcPercentAtStart int

func TestMain(m *testing.M) {
	gcPercentAtStart = debug.SetGCPercent(-1)
	debug.SetGCPercent(gcPercentAtStart)
	os.Exit(m.Run())
}

// TestTheCollectorIsOnWhenCommandsRun: package startgc turns the collector off while
// the packages are initialised, and main's init turns it on again before anything runs.
func TestTheCollectorIsOnWhenCommandsRun(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set")
	}
	if gcPercentAtStart != 100 {
		t.Fatalf("the collector's percent is %d when the tests start, want 100", gcPercentAtStart)
	}
}

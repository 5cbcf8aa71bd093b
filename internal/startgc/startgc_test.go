package startgc

import (
	"os"
	"runtime/debug"
	"testing"
)

// gcPercent reads the collector's setting without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

// The collector is off after this package's init, and Restore sets it back once.
func TestInitTurnsTheCollectorOffUntilRestore(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set: the environment's setting is left alone")
	}
	if p := gcPercent(); p != -1 {
		t.Fatalf("after init the collector's percent is %d, want -1 (off)", p)
	}
	Restore()
	if p := gcPercent(); p != 100 {
		t.Fatalf("after Restore the percent is %d, want 100 (the default)", p)
	}
	debug.SetGCPercent(50)
	defer debug.SetGCPercent(100)
	Restore() // a second Restore changes nothing
	if p := gcPercent(); p != 50 {
		t.Fatalf("a second Restore set the percent to %d", p)
	}
}

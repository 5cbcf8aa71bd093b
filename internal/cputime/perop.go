package cputime

import "testing"

// PerOp starts counting the process's CPU time (the collector's included); the function
// it returns, called when b's loop is done, reports it per iteration as cpu-ns/op. On a
// machine shared with other work it varies less than the wall time. Setup done in the
// loop with the timer stopped still counts.
func PerOp(b *testing.B) func() {
	start := Process()
	return func() {
		if used := Process() - start; used > 0 && b.N > 0 {
			b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

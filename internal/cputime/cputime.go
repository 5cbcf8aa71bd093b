// Package cputime reads the CPU time of this process, for benchmarks that report CPU
// time per operation (cpu-ns/op) beside wall time: on a machine shared with other work
// the CPU time a benchmark used says more than how long it took.
package cputime

import "time"

// Process is the CPU time (user and system, every thread, GC included) the process has
// used; 0 where it is not measured (outside Unix), which benchmarks take as "report no
// CPU time".
func Process() time.Duration { return process() }

package inventory

import "syscall"

// limitMemory bounds the data segment of this process: an allocation past it fails
// and the Go runtime exits with "out of memory". Go reserves address space without
// write access, which RLIMIT_DATA does not count, so the bound is on memory in use.
func limitMemory(n int64) {
	lim := &syscall.Rlimit{Cur: uint64(n), Max: uint64(n)}
	_ = syscall.Setrlimit(syscall.RLIMIT_DATA, lim)
}

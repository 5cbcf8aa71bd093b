//go:build !linux

package inventory

// limitMemory does nothing where RLIMIT_DATA does not count what Go allocates;
// watchMemory bounds the heap instead.
func limitMemory(int64) {}

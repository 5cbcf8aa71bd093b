//go:build unix && !darwin

package main

import "syscall"

// maxRSSBytes converts ru_maxrss, which Linux and the BSDs report in KiB.
func maxRSSBytes(ru *syscall.Rusage) int64 { return int64(ru.Maxrss) * 1024 }

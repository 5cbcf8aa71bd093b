// Command moat is the Moat Kubernetes security scanner. This package only parses
// flags and wires them to internal packages.
package main

import (
	"os"
	"runtime/debug"
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// batchMemoryLimit is the soft memory limit of a one-shot scan (see tuneBatchGC).
const batchMemoryLimit = 1200 << 20

// tuneBatchGC sets the garbage collector for a command that reads its input, judges
// it, prints and exits: `moat scan`. The servers set their own (webhook.TuneGC).
//
// GOGC stays at its default of 100: the live heap of a scan peaks during evaluation
// (the inventory, the findings and the analyses rules share) at about 10 bytes for each
// byte of YAML read, and the collector lets the heap grow to twice that. That keeps a
// scan of 10,000 dense objects (7 MB) near 210 MiB of peak RSS, under its 250 MiB
// budget; GOGC=200 and 400 measured 260 and 232 MiB there, with CPU differences inside
// this 2-core machine's noise. The soft limit is for large inputs: at 100,000 objects
// (73 MB) the live heap reaches about 700 MB and the default let RSS reach 1,510 MiB;
// with the limit at 1,200 MiB it stayed at 1,245 MiB for 0 to 7% more CPU (paired
// runs; 1 GiB gave 1,150 MiB for 10 to 23% more). A scan whose live heap exceeds the
// limit does not fail: the runtime caps the collector at half the CPU and then lets
// the heap grow. GOGC and GOMEMLIMIT set in the environment win.
func tuneBatchGC() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(batchMemoryLimit)
	}
}

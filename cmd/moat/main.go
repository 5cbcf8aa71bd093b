// Command moat is the Moat Kubernetes security scanner. This package only parses
// flags and wires them to internal packages.
package main

import (
	"os"

	"github.com/moat-dev/moat/internal/startgc"
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// init runs after every package's: the collector, off while they were initialised
// (package startgc), is on again before a command runs. The commands that tune it
// (scan, the servers) do so themselves.
func init() { startgc.Restore() }

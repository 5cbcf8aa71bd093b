// Package startgc turns the garbage collector off while the program's packages are
// initialised; package main turns it back on (Restore) before it runs anything.
//
// moat's packages allocate about 11 MB as they initialise (the Helm chart schema
// validator, client-go's scheme, the API types' registrations), and from the runtime's
// 4 MB starting goal that made four collections before main, each with its assists on
// the one goroutine that runs the inits: the inits ended at 47-61 ms, and at 32-37 ms
// with the collector off (GODEBUG=inittrace=1). Packages are initialised in the order
// of their import paths where their imports allow, so this one runs before the
// heaviest (k8s.io, santhosh-tekuri/jsonschema), though not before all. A GOGC set in
// the environment is left alone.
package startgc

import (
	"os"
	"runtime/debug"
)

var percent = -2 // the setting before init; -2: untouched

func init() {
	if os.Getenv("GOGC") == "" {
		percent = debug.SetGCPercent(-1)
	}
}

// Restore sets the collector back as it was before init.
func Restore() {
	if percent != -2 {
		debug.SetGCPercent(percent)
		percent = -2
	}
}

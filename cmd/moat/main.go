// Command moat is the Moat Kubernetes security scanner. This package only parses
// flags and wires them to internal packages.
package main

import "os"

func main() {
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

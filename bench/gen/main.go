// Command gen writes a synthetic cluster to standard output: N Kubernetes objects as
// one multi-document YAML stream, in the mix of kinds and settings of a real
// multi-team cluster (system namespaces with node agents, application namespaces
// with deployments, services, ingresses, configuration, RBAC and network policies),
// with the usual share of insecure settings so that rules fire. The same seed
// always gives the same bytes.
//
//	go run ./bench/gen -n 10000 -seed 1 > /tmp/cluster.yaml
//	go run ./bench/gen -mix dense -n 100000 > /tmp/dense.yaml
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	n := flag.Int("n", 10000, "number of objects to write")
	seed := flag.Uint64("seed", 1, "random seed; the same seed gives the same output")
	mix := flag.String("mix", "cluster", "mix of objects: cluster (a multi-team cluster, some of it hardened) or dense (about 100 objects a namespace, unhardened: about ten findings per object)")
	flag.Parse()
	if *n < 0 || flag.NArg() > 0 || (*mix != "cluster" && *mix != "dense") {
		fmt.Fprintln(os.Stderr, "usage: gen [-n OBJECTS] [-seed SEED] [-mix cluster|dense] > cluster.yaml")
		os.Exit(2)
	}
	w := bufio.NewWriterSize(os.Stdout, 256<<10)
	if err := GenerateMix(w, *n, *seed, *mix); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// Generate writes exactly n objects of the cluster mix made from seed to w.
func Generate(w io.Writer, n int, seed uint64) error { return GenerateMix(w, n, seed, "cluster") }

// GenerateMix writes exactly n objects of a mix ("cluster" or "dense") made from seed to w.
func GenerateMix(w io.Writer, n int, seed uint64, mix string) error {
	g := newGenerator(w, n, seed)
	if mix == "dense" {
		g.runDense()
	} else {
		g.run()
	}
	return g.err
}

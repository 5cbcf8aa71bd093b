// Command kubecluster starts a Kubernetes control plane for a person to use
// (etcd, kube-apiserver and kube-controller-manager on loopback, as in Moat's
// e2e tests), prints the KUBECONFIG to export, and runs until Ctrl-C, when it
// stops the processes and removes their files. `make cluster` runs it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

type flagList []string

func (l *flagList) String() string     { return strings.Join(*l, " ") }
func (l *flagList) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var apiserverFlags flagList
	controllerManager := flag.Bool("controller-manager", true, "also run kube-controller-manager (service accounts, ClusterRole aggregation, root CA ConfigMap, namespace deletion)")
	timeout := flag.Duration("timeout", 2*time.Minute, "how long starting may take")
	flag.Var(&apiserverFlags, "apiserver-flag", "extra kube-apiserver flag as --name=value (repeatable)")
	flag.Parse()

	opts := []kubetest.Option{kubetest.WithStartTimeout(*timeout), kubetest.WithAPIServerFlags(apiserverFlags...)}
	if *controllerManager {
		opts = append(opts, kubetest.WithControllerManager())
	}
	// Trap signals before starting, so that Ctrl-C during the start also
	// cleans up.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)

	begin := time.Now()
	c, err := kubetest.New(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubecluster:", err)
		if errors.Is(err, kubetest.ErrMissing) {
			fmt.Fprintln(os.Stderr, "kubecluster: run `make e2e-deps` first")
		}
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "kubecluster: Kubernetes %s ready in %.1fs at %s (etcd %s)\n",
		kubetest.KubernetesVersion, time.Since(begin).Seconds(), c.Host, c.EtcdURL)
	fmt.Fprintf(os.Stderr, "kubecluster: certificates and logs in %s; pids %v\n", c.Dir, c.Pids())
	fmt.Fprintf(os.Stderr, "kubecluster: you are %s (system:masters); press Ctrl-C to stop and remove it\n", kubetest.AdminUser)
	fmt.Printf("export KUBECONFIG=%s\n", c.Kubeconfig)

	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	status := 0
loop:
	for {
		select {
		case <-sig:
			break loop
		case <-tick.C:
			if err := c.Err(); err != nil {
				fmt.Fprintln(os.Stderr, "kubecluster:", err)
				status = 1
				break loop
			}
		}
	}
	c.Stop()
	fmt.Fprintln(os.Stderr, "kubecluster: stopped")
	os.Exit(status)
}

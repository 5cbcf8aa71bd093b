// Command kubeproxyflags prints kube-proxy's flags as JSON (name to flagset.Flag).
//
// kube-proxy adds the whole of Go's flag.CommandLine to its flags, and what that
// holds depends on which packages the binary links: in a program that also links the
// kubelet it holds some thirty cAdvisor flags kube-proxy does not have. This program
// links what cmd/kube-proxy's main links (its imports are the main's, which nodedata
// checks with go list) and nothing that registers flags, so its answer is the real
// binary's.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	_ "k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-proxy/app"

	"github.com/moat-dev/moat/test/kube/nodedata/flagset"
)

func main() {
	fs, err := flagset.Cobra(app.NewProxyCommand())
	if err == nil {
		err = json.NewEncoder(os.Stdout).Encode(flagset.Describe(fs))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeproxyflags:", err)
		os.Exit(1)
	}
}

package cluster

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Config says how to reach a cluster, as kubectl's flags do.
type Config struct {
	// Kubeconfig is the --kubeconfig file. Empty means KUBECONFIG (a list of files,
	// merged as kubectl merges them), then ~/.kube/config, then the in-cluster
	// configuration when running in a pod.
	Kubeconfig string
	// Context is the --context to use instead of the current context.
	Context string
}

// RESTConfig resolves the client configuration the way kubectl does, with clientcmd's
// deferred loading: an explicit file or context wins; without a kubeconfig (or with one
// that holds only defaults) and inside a pod, the pod's service account is used.
func (c Config) RESTConfig() (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: c.Context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, fmt.Errorf("no cluster configured: give --kubeconfig, set KUBECONFIG, or run inside a pod")
		}
		return nil, fmt.Errorf("cluster configuration: %w", err)
	}
	return cfg, nil
}

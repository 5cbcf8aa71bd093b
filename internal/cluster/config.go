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
	cfg, err := c.clientConfig().ClientConfig()
	if err != nil {
		return nil, configError(err)
	}
	return cfg, nil
}

// Namespace is the namespace kubectl would use without -n: the context's namespace,
// "default" when the context names none, and inside a pod without a kubeconfig the pod's
// own namespace.
func (c Config) Namespace() (string, error) {
	ns, _, err := c.clientConfig().Namespace()
	if err != nil {
		return "", configError(err)
	}
	return ns, nil
}

func (c Config) clientConfig() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: c.Context}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}

// configError says what is wrong with the configuration, and how to give one when there
// is none.
func configError(err error) error {
	if clientcmd.IsEmptyConfig(err) {
		return fmt.Errorf("no cluster configured: give --kubeconfig, set KUBECONFIG, or run inside a pod")
	}
	return fmt.Errorf("cluster configuration: %w", err)
}

package kubetest

import (
	"errors"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// WriteKubeconfig writes cfg (as returned by RESTConfig, UserConfig or
// ServiceAccountConfig) as a kubeconfig file with one context, "kubetest",
// with its credentials inline, for programs run by a test such as
// `moat scan --cluster --kubeconfig PATH`.
func WriteKubeconfig(path string, cfg *rest.Config) error {
	if cfg.Host == "" {
		return errors.New("kubetest: config has no host")
	}
	const name = "kubetest"
	kc := clientcmdapi.NewConfig()
	kc.Clusters[name] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
		Token:                 cfg.BearerToken,
	}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	kc.CurrentContext = name
	return clientcmd.WriteToFile(*kc, path)
}

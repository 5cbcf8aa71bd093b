// Package kubetest runs a real Kubernetes control plane for Moat's end-to-end
// tests: an etcd and a kube-apiserver (and, on request, a
// kube-controller-manager) on free loopback ports, each in its own process
// group, with a temporary directory for data, certificates, kubeconfig and logs.
//
// Nothing is faked: the API server authenticates clients with certificates
// signed by the cluster's own CA and with service-account tokens from the
// TokenRequest API, authorizes with Node,RBAC, and runs the default admission
// chain. Tests talk to it over TLS with client-go.
//
//	c := kubetest.Start(t, kubetest.WithControllerManager())
//	cs := kubernetes.NewForConfigOrDie(c.RESTConfig())
//
// For `moat node`, options make it look like a node's control plane:
// WithNamedBinaries (argv[0] names the component), WithEtcdTLS (etcd with its
// own CA and client certificates, as kubeadm sets it up), WithKubeletClientCert,
// WithFileMode and WithFileOwner (the mode and owner of the files in PKI and of
// the kubeconfig), and WithEtcdFlags and WithControllerManagerFlags; EtcdGet
// reads what the API server stored, past it.
//
// Binaries come from the environment (MOAT_KUBE_APISERVER, MOAT_ETCD,
// MOAT_KUBE_CONTROLLER_MANAGER) or from the cache that scripts/kube-binaries.sh
// fills ($MOAT_KUBE_CACHE, default .cache/kube/ at the repository root), and
// etcd from PATH. When one is missing, Start skips the test, unless
// MOAT_E2E=1 is set: then it fails, so that CI cannot pass by skipping.
//
// The processes die with the test binary (Pdeathsig on Linux) and Start's
// cleanup kills them and removes their files, also when the test fails or
// panics. Set MOAT_KUBE_KEEP=1 to keep the directory for a post-mortem.
package kubetest

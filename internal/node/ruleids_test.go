package node

// nodeRuleIDs are the node checks, in the benchmark's order; docs/cis.md's table lists
// the same. TestEveryNodeRuleIsListed keeps it equal to the registry.
var nodeRuleIDs = []string{
	// 1.1 control-plane files
	"node/apiserver-manifest-permissions", "node/apiserver-manifest-ownership",
	"node/controller-manager-manifest-permissions", "node/controller-manager-manifest-ownership",
	"node/scheduler-manifest-permissions", "node/scheduler-manifest-ownership",
	"node/etcd-manifest-permissions", "node/etcd-manifest-ownership",
	"node/cni-file-permissions", "node/cni-file-ownership",
	"node/etcd-data-dir-permissions", "node/etcd-data-dir-ownership",
	"node/admin-kubeconfig-permissions", "node/admin-kubeconfig-ownership",
	"node/scheduler-kubeconfig-permissions", "node/scheduler-kubeconfig-ownership",
	"node/controller-manager-kubeconfig-permissions", "node/controller-manager-kubeconfig-ownership",
	"node/pki-ownership", "node/pki-certificate-permissions", "node/pki-key-permissions",
	// 1.2 API server
	"apiserver/anonymous-auth", "apiserver/token-auth-file", "apiserver/deny-service-external-ips",
	"apiserver/kubelet-client-certificate", "apiserver/kubelet-certificate-authority",
	"apiserver/authorization-always-allow", "apiserver/authorization-node", "apiserver/authorization-rbac",
	"apiserver/event-rate-limit", "apiserver/always-admit", "apiserver/always-pull-images",
	"apiserver/service-account-plugin", "apiserver/namespace-lifecycle-plugin", "apiserver/node-restriction-plugin",
	"apiserver/profiling", "apiserver/audit-log-path", "apiserver/audit-log-maxage", "apiserver/audit-log-maxbackup",
	"apiserver/audit-log-maxsize", "apiserver/request-timeout", "apiserver/service-account-lookup",
	"apiserver/service-account-key-file", "apiserver/etcd-client-certificate", "apiserver/tls-certificate",
	"apiserver/client-ca-file", "apiserver/etcd-cafile", "apiserver/encryption-provider-config",
	"apiserver/encryption-providers", "apiserver/tls-cipher-suites", "apiserver/service-account-extend-token-expiration",
	"apiserver/encryption-config-permissions",
	// 1.3 controller manager, 1.4 scheduler
	"controller-manager/terminated-pod-gc-threshold", "controller-manager/profiling",
	"controller-manager/use-service-account-credentials", "controller-manager/service-account-private-key-file",
	"controller-manager/root-ca-file", "controller-manager/rotate-kubelet-server-certificate",
	"controller-manager/bind-address", "scheduler/profiling", "scheduler/bind-address",
	// 2 etcd
	"etcd/client-tls", "etcd/client-cert-auth", "etcd/auto-tls", "etcd/peer-tls", "etcd/peer-client-cert-auth",
	"etcd/peer-auto-tls", "etcd/unique-ca",
	// 3.1 authentication (manual), 3.2 logging
	"apiserver/user-client-certificates", "apiserver/user-service-account-tokens", "apiserver/user-bootstrap-tokens",
	"apiserver/audit-policy", "apiserver/audit-policy-coverage",
	// 4.1 worker files
	"node/kubelet-service-permissions", "node/kubelet-service-ownership",
	"node/proxy-kubeconfig-permissions", "node/proxy-kubeconfig-ownership",
	"node/kubelet-kubeconfig-permissions", "node/kubelet-kubeconfig-ownership",
	"node/kubelet-client-ca-permissions", "node/kubelet-client-ca-ownership",
	"node/kubelet-config-permissions", "node/kubelet-config-ownership",
	// 4.2 kubelet
	"kubelet/anonymous-auth", "kubelet/authorization-always-allow", "kubelet/client-ca-file", "kubelet/read-only-port",
	"kubelet/streaming-connection-idle-timeout", "kubelet/make-iptables-util-chains", "kubelet/hostname-override",
	"kubelet/event-record-qps", "kubelet/tls-certificate", "kubelet/rotate-certificates",
	"kubelet/rotate-server-certificates", "kubelet/tls-cipher-suites", "kubelet/pod-pids-limit", "kubelet/seccomp-default",
	// 4.3 kube-proxy
	"kube-proxy/metrics-bind-address",
	// beyond the benchmark: certificates
	"node/certificate-expiry", "node/weak-key", "node/ca-file-permissions",
}

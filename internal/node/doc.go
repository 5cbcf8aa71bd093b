// Package node checks the layer beneath the API objects: the flags and files of
// kube-apiserver, kube-controller-manager, kube-scheduler, etcd, the kubelet and
// kube-proxy on one machine — the CIS Kubernetes Benchmark sections 1 to 4, encryption
// at rest, certificates and audit logging.
//
// Loading and checking are apart, like every other part of Moat: Load reads /proc and
// the files (all the I/O, bounded) into a Host, a plain snapshot; the rules read only
// the Host, through inventory objects of the kinds below, so they run in the same
// engine, with the same exceptions and outputs as every other rule.
package node

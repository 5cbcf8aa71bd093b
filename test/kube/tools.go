//go:build tools

// Package tools pins the Kubernetes programs that the e2e tests run, so that
// `go build k8s.io/kubernetes/cmd/kube-apiserver` in this module builds the
// version named in go.mod (see scripts/kube-binaries.sh).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)

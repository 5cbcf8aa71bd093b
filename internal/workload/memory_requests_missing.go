package workload

// pod/memory-requests-missing: every app container (and sidecar init container)
// should end up with a memory request, written or defaulted by a limit, pod-level
// resources or a namespace LimitRange (see resources.go), so that the scheduler does
// not pack a node past its memory and the kubelet evicts the right pods first.

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rc := newResourceCheck(corev1.ResourceMemory, false)
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/memory-requests-missing",
			Title:    "Container has no memory request",
			Severity: finding.Low,
			Description: "A container without a memory request is scheduled as if it needed no memory, so nodes are " +
				"overcommitted, run into memory pressure and evict pods; a container that uses more than it requested " +
				"is evicted before its neighbours. The NSA/CISA Kubernetes Hardening Guide (Resource policies) asks for " +
				"requests and limits on every container or a LimitRange default; kube-linter (unset-memory-requirements) " +
				"and Kubescape (C-0004) check it too. A limit, pod-level resources or a LimitRange default in the namespace " +
				"satisfies the rule.",
			Remediation: "Set resources.requests.memory on the container to its steady-state working set, or give the " +
				"namespace a LimitRange with a default memory request.",
			Frameworks: finding.Frameworks{NSA: nsaResourcePolicies, MITRE: "T1499"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(rc.check),
		CEL:    &rule.CEL{Unexportable: limitRangeReason},
	})
}

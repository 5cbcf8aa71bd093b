package workload

// pod/cpu-requests-missing: every app container (and sidecar init container) should
// end up with a CPU request, written or defaulted by a limit, pod-level resources or a
// namespace LimitRange (see resources.go), so that the scheduler reserves CPU for it
// and the kernel gives it a fair share under contention.

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rc := newResourceCheck(corev1.ResourceCPU, false)
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/cpu-requests-missing",
			Title:    "Container has no CPU request",
			Severity: finding.Low,
			Description: "A container without a CPU request is scheduled as if it needed no CPU, so nodes are " +
				"overcommitted and a busy neighbour starves it; with no request or limit at all the pod is BestEffort " +
				"and evicted first. The NSA/CISA Kubernetes Hardening Guide (Resource policies) asks for requests and " +
				"limits on every container or a LimitRange default; kube-linter (unset-cpu-requirements) and Kubescape " +
				"(C-0050) check it too. A limit, pod-level resources or a LimitRange default in the namespace satisfies the rule.",
			Remediation: "Set resources.requests.cpu on the container to what it needs in steady state, or give the " +
				"namespace a LimitRange with a default CPU request.",
			Frameworks: finding.Frameworks{NSA: nsaResourcePolicies, MITRE: "T1499"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(rc.check),
		CEL:    &rule.CEL{Unexportable: limitRangeReason},
	})
}

package workload

// pod/memory-limits-missing: every container that runs (app, sidecar and ordinary
// init containers) should end up with a memory limit, written or from pod-level
// resources or a namespace LimitRange default (see resources.go), so that one process
// cannot exhaust the node's memory and set off the kernel's OOM killer on its
// neighbours.

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rc := newResourceCheck(corev1.ResourceMemory, true)
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/memory-limits-missing",
			Title:    "Container has no memory limit",
			Severity: finding.Medium,
			Description: "A container without a memory limit can use all the memory of its node: a leak or an " +
				"attacker exhausts it, the kubelet evicts other pods and the kernel's OOM killer ends processes that " +
				"did nothing wrong. Memory is not compressible, so only a limit contains it. The NSA/CISA Kubernetes " +
				"Hardening Guide (Resource policies) asks for limits on every container or a LimitRange default; " +
				"kube-linter (unset-memory-requirements) and Kubescape (C-0004) check it too. Pod-level resources or a " +
				"LimitRange default in the namespace satisfies the rule.",
			Remediation: "Set resources.limits.memory on the container to a little above its peak working set, or give " +
				"the namespace a LimitRange with a default memory limit.",
			Frameworks: finding.Frameworks{NSA: nsaResourcePolicies, MITRE: "T1499"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(rc.check),
		CEL:    &rule.CEL{Unexportable: limitRangeReason},
	})
}

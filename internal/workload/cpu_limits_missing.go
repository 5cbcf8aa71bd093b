package workload

// pod/cpu-limits-missing: every container that runs (app, sidecar and ordinary init
// containers) should end up with a CPU limit, written or from pod-level resources or
// a namespace LimitRange default (see resources.go), so that one compromised or
// runaway process cannot take every CPU of the node.

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rc := newResourceCheck(corev1.ResourceCPU, true)
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/cpu-limits-missing",
			Title:    "Container has no CPU limit",
			Severity: finding.Low,
			Description: "A container without a CPU limit may use every idle CPU of its node; a compromised container " +
				"can mine cryptocurrency or slow its neighbours down. CPU is compressible, so requests already protect " +
				"neighbours' shares and some teams leave limits off on purpose to avoid throttling; the rule is low " +
				"severity for that reason. The NSA/CISA Kubernetes Hardening Guide (Resource policies) asks for limits on " +
				"every container or a LimitRange default; kube-linter (unset-cpu-requirements) and Kubescape (C-0050) check " +
				"it too. Pod-level resources or a LimitRange default in the namespace satisfies the rule.",
			Remediation: "Set resources.limits.cpu on the container, or give the namespace a LimitRange with a default " +
				"CPU limit.",
			Frameworks: finding.Frameworks{NSA: nsaResourcePolicies, MITRE: "T1499"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(rc.check),
		CEL:    &rule.CEL{Unexportable: limitRangeReason},
	})
}

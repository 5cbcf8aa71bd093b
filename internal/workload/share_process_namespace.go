package workload

// pod/share-process-namespace: a pod should not set shareProcessNamespace: true unless
// a debugging or sidecar design needs it. All its containers then share one PID
// namespace: each sees the others' processes, can signal them, and reads their
// environment and root filesystem through /proc/PID, so the weakest container exposes
// the secrets of all.

import (
	"fmt"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/share-process-namespace",
			Title:    "Pod shares one process namespace between containers",
			Severity: finding.Medium,
			Description: "With shareProcessNamespace: true every container of the pod sees the processes of the " +
				"others, may signal them, and can read their environment variables and files through /proc/PID/environ " +
				"and /proc/PID/root; a compromised sidecar reads the application's secrets. The Kubernetes documentation " +
				"on process namespace sharing warns of this; the NSA/CISA Kubernetes Hardening Guide (Hardening container " +
				"environments) asks for isolated containers.",
			Remediation: "Remove shareProcessNamespace: true, or keep it only in a debugging variant of the workload; use " +
				"kubectl debug with an ephemeral container to inspect a running pod.",
			Frameworks: finding.Frameworks{NSA: nsaHardenedRuntime, MITRE: "T1055"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(shareProcessNamespace),
		CEL: &rule.CEL{Pod: true,
			Expression: "!variables.spec.?shareProcessNamespace.orValue(false)",
			Message:    "'pod sets shareProcessNamespace: true, so its containers see and signal each other\\'s processes'",
		},
	})
}

func shareProcessNamespace(_ *rule.Context, o *inventory.Object, p podspec.Pod) []rule.Result {
	if !isTrue(p.Spec.ShareProcessNamespace) {
		return nil
	}
	var names []string
	for ct := range p.AllContainers {
		names = append(names, fmt.Sprintf("%q", ct.Name))
	}
	return []rule.Result{{
		Message: fmt.Sprintf("%s sets shareProcessNamespace: true, so containers %s see and signal each other's processes and read their files through /proc",
			podNoun(o), strings.Join(names, ", ")),
		Path: p.Path + ".shareProcessNamespace",
	}}
}

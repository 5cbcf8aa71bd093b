package workload

// pod/readonly-root-filesystem-missing: every container should run with
// securityContext.readOnlyRootFilesystem: true, so that a compromised process cannot
// change the image's binaries or drop tools into it; writable scratch space comes from
// emptyDir volumes. Init, regular and ephemeral containers are checked. Pods that
// declare spec.os.name: windows are skipped: the field is forbidden there.

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/readonly-root-filesystem-missing",
			Title:    "Container root filesystem is writable",
			Severity: finding.Medium,
			Description: "A container whose root filesystem is writable lets an attacker who gets code execution " +
				"modify the image's binaries and configuration or download and run tools. The NSA/CISA Kubernetes " +
				"Hardening Guide (Immutable container file systems) and CIS Kubernetes Benchmark 5.6.3 ask for " +
				"readOnlyRootFilesystem: true; kube-linter (no-read-only-root-fs) and Kubescape (C-0017) check it too.",
			Remediation: "Set securityContext.readOnlyRootFilesystem: true on the container and mount an emptyDir volume " +
				"where the program needs to write (for example /tmp).",
			Frameworks: finding.Frameworks{CIS: "5.6.3", NSA: nsaImmutableFS, MITRE: "T1105"},
			Kinds:      podspec.Kinds,
		},
		Object: forContainers(allContainers, readOnlyRootFilesystem),
		CEL: &rule.CEL{Pod: true,
			Expression: "variables.windows || variables.containers.all(c, c.?securityContext.?readOnlyRootFilesystem.orValue(false) == true)",
			Message:    celexpr.ContainersWhere("c.?securityContext.?readOnlyRootFilesystem.orValue(false) != true") + " + ' must set securityContext.readOnlyRootFilesystem: true'",
		},
	})
}

func readOnlyRootFilesystem(p podspec.Pod, ct podspec.Container) []rule.Result {
	if isWindows(p) {
		return nil
	}
	sc := ct.SecurityContext
	if sc != nil && isTrue(sc.ReadOnlyRootFilesystem) {
		return nil
	}
	msg := " does not set securityContext.readOnlyRootFilesystem: true"
	if sc != nil && isFalse(sc.ReadOnlyRootFilesystem) {
		msg = " sets securityContext.readOnlyRootFilesystem: false"
	}
	return []rule.Result{{Message: ct.Sentence(msg), Path: readOnlyRootPath.Of(ct)}}
}

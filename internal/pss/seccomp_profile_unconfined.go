// Rule pod/seccomp-profile-unconfined: a seccomp profile, where one is set, must be
// RuntimeDefault or Localhost, never Unconfined. The verdict is the library's baseline
// check "seccompProfile_baseline": the securityContext.seccompProfile fields from
// v1.19, the seccomp.security.alpha.kubernetes.io annotations before.
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	register(pssRule{
		check: "seccompProfile_baseline",
		meta: rule.Meta{
			ID:       "pod/seccomp-profile-unconfined",
			Title:    "Pod or container turns seccomp off",
			Severity: finding.Medium,
			Description: "A seccomp profile, where one is set, must be RuntimeDefault or Localhost: Unconfined lets the " +
				"container make every system call, including the rarely needed ones through which most kernel exploits " +
				"and container escapes go. Pod Security Standards, baseline level, control Seccomp (check " +
				"seccompProfile_baseline of k8s.io/pod-security-admission: securityContext.seccompProfile from v1.19, " +
				"the seccomp.security.alpha.kubernetes.io annotations before); CIS Kubernetes Benchmark 5.6.2; NSA/CISA " +
				"Kubernetes Hardening Guide, Pod security.",
			Remediation: "Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost with a reviewed profile) instead of Unconfined.",
			Frameworks:  finding.Frameworks{CIS: "5.6.2", NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{
			containers: true, container: "securityContext.seccompProfile",
			pod: []string{"spec.securityContext.seccompProfile", annotations},
		},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.spec.?securityContext.?seccompProfile.?type.orValue('RuntimeDefault') in ['RuntimeDefault', 'Localhost'] && " +
				"variables.containers.all(c, c.?securityContext.?seccompProfile.?type.orValue('RuntimeDefault') in ['RuntimeDefault', 'Localhost'])",
			Message: "'pod or containers must not set securityContext.seccompProfile.type to Unconfined'",
		},
	})
}

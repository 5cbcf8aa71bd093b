// Rule pod/seccomp-profile-missing: at the restricted level every container must run
// under a seccomp profile, RuntimeDefault or Localhost, set on the pod or on the
// container. The verdict is the library's restricted check "seccompProfile_restricted"
// (from v1.19; Windows pods are exempt from v1.25); an explicit Unconfined, which the
// baseline check forbids with the same words, is left to pod/seccomp-profile-unconfined.
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	register(pssRule{
		check: "seccompProfile_restricted",
		meta: rule.Meta{
			ID:       "pod/seccomp-profile-missing",
			Title:    "Container runs without a seccomp profile",
			Severity: finding.Medium,
			Description: "At the restricted level every container must run under a seccomp profile: " +
				"securityContext.seccompProfile.type RuntimeDefault or Localhost, on the pod or on each container. " +
				"Without one, a kubelet that does not default to RuntimeDefault runs the container Unconfined, open to " +
				"every system call. Pod Security Standards, restricted level, control Seccomp (check " +
				"seccompProfile_restricted of k8s.io/pod-security-admission, from v1.19; Windows pods are exempt from " +
				"v1.25); CIS Kubernetes Benchmark 5.6.2; NSA/CISA Kubernetes Hardening Guide, Pod security. An explicit " +
				"Unconfined is reported by pod/seccomp-profile-unconfined.",
			Remediation: "Set spec.securityContext.seccompProfile.type: RuntimeDefault on the pod, or on each container that lacks it.",
			Frameworks:  finding.Frameworks{CIS: "5.6.2", NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{
			containers: true, container: "securityContext.seccompProfile",
			pod: []string{"spec.securityContext.seccompProfile"},
		},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.windows || " + seccompExplicitlyBadCEL + " || variables.containers.all(c, " + seccompSetCEL + ")",
			Message:    "'pod or containers ' + " + celexpr.ContainerNames("!("+seccompSetCEL+")") + " + ' must set securityContext.seccompProfile.type to RuntimeDefault or Localhost'",
		},
	})
}

// seccompSetCEL: container c has a seccomp profile of its own (an Unconfined one is
// pod/seccomp-profile-unconfined's), or the pod sets a confining one.
const seccompSetCEL = "c.?securityContext.?seccompProfile.hasValue() || variables.spec.?securityContext.?seccompProfile.?type.orValue('') in ['RuntimeDefault', 'Localhost']"

// seccompExplicitlyBadCEL: the pod or a container sets a profile that does not confine.
// The library then reports that alone, in pod/seccomp-profile-unconfined's words.
const seccompExplicitlyBadCEL = "!(variables.spec.?securityContext.?seccompProfile.?type.orValue('RuntimeDefault') in ['RuntimeDefault', 'Localhost']) || variables.containers.exists(c, !(c.?securityContext.?seccompProfile.?type.orValue('RuntimeDefault') in ['RuntimeDefault', 'Localhost']))"

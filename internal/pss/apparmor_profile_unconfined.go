// Rule pod/apparmor-profile-unconfined: an AppArmor profile, where one is set, must be
// RuntimeDefault or Localhost (annotations: runtime/default or localhost/...), never
// Unconfined. The verdict is the library's baseline check "appArmorProfile", which
// reads the securityContext.appArmorProfile fields and the
// container.apparmor.security.beta.kubernetes.io annotations.
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	register(pssRule{
		check: "appArmorProfile",
		meta: rule.Meta{
			ID:       "pod/apparmor-profile-unconfined",
			Title:    "Pod or container turns AppArmor off",
			Severity: finding.Medium,
			Description: "An AppArmor profile, where one is set, must be RuntimeDefault or Localhost (in the older " +
				"container.apparmor.security.beta.kubernetes.io annotations: runtime/default or localhost/NAME). " +
				"Unconfined switches off the mandatory access control that the runtime applies by default on AppArmor " +
				"hosts, which blocks mounts, writes to /proc and /sys and other steps of an escape. Pod Security " +
				"Standards, baseline level, control AppArmor (check appArmorProfile of k8s.io/pod-security-admission); " +
				"NSA/CISA Kubernetes Hardening Guide, Pod security.",
			Remediation: "Set securityContext.appArmorProfile.type to RuntimeDefault or Localhost, and remove AppArmor annotations whose value is unconfined.",
			Frameworks:  finding.Frameworks{NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{
			containers: true, container: "securityContext.appArmorProfile",
			pod: []string{"spec.securityContext.appArmorProfile", annotations},
		},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.spec.?securityContext.?appArmorProfile.?type.orValue('RuntimeDefault') in ['RuntimeDefault', 'Localhost'] && " +
				"variables.containers.all(c, c.?securityContext.?appArmorProfile.?type.orValue('RuntimeDefault') in ['RuntimeDefault', 'Localhost']) && " +
				"variables.meta.?annotations.orValue({}).all(k, !k.startsWith('container.apparmor.security.beta.kubernetes.io/') || variables.meta.annotations[k] == '' || variables.meta.annotations[k] == 'runtime/default' || variables.meta.annotations[k].startsWith('localhost/'))",
			Message: "'pod or containers must not set the AppArmor profile type to anything but RuntimeDefault or Localhost'",
		},
	})
}

// Rule pod/unmasked-proc-mount-user-namespace: at the restricted level /proc stays
// masked even in a pod with its own user namespace (hostUsers: false), which the
// baseline level exempts from v1.35. The verdict is the library's restricted check
// "procMount_restricted" (from v1.35); a container that the baseline check already
// forbids with the same words is left to pod/unmasked-proc-mount.
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	register(pssRule{
		check: "procMount_restricted",
		meta: rule.Meta{
			ID:       "pod/unmasked-proc-mount-user-namespace",
			Title:    "Container unmasks /proc in a user-namespaced pod",
			Severity: finding.Low,
			Description: "At the restricted level securityContext.procMount must be unset or Default in every pod, " +
				"including pods with their own user namespace (hostUsers: false), where the baseline level allows an " +
				"unmasked /proc from v1.35: the user namespace limits what the container's root can do with /proc, but " +
				"kernel interfaces stay exposed. Pod Security Standards, restricted level, control /proc Mount Type " +
				"(check procMount_restricted of k8s.io/pod-security-admission, from v1.35). Pods without their own " +
				"user namespace are reported by pod/unmasked-proc-mount.",
			Remediation: "Remove securityContext.procMount or set it to Default.",
			Frameworks:  finding.Frameworks{NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{containers: true, container: "securityContext.procMount"},
		cel: &rule.CEL{Pod: true,
			Expression: "!variables.userNamespace || variables.containers.all(c, c.?securityContext.?procMount.orValue('Default') == 'Default')",
			Message:    celexpr.ContainersWhere("c.?securityContext.?procMount.orValue('Default') != 'Default'") + " + ' must not set securityContext.procMount to Unmasked'",
		},
	})
}

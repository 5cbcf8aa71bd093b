// Rule pod/unmasked-proc-mount: a container must keep the default /proc masks
// (securityContext.procMount unset or Default). The verdict is the library's baseline
// check "procMount", which from v1.35 allows any procMount in a pod with its own user
// namespace (hostUsers: false).
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	register(pssRule{
		check: "procMount",
		meta: rule.Meta{
			ID:       "pod/unmasked-proc-mount",
			Title:    "Container unmasks /proc",
			Severity: finding.High,
			Description: "securityContext.procMount: Unmasked turns off the runtime's masking and read-only mounting of " +
				"sensitive /proc paths such as /proc/kcore, /proc/sysrq-trigger and /proc/sys, so that a root process " +
				"in the container can read kernel memory or change kernel settings of the node (core_pattern is a known " +
				"escape). Pod Security Standards, baseline level, control /proc Mount Type (check procMount of " +
				"k8s.io/pod-security-admission; from v1.35 pods in their own user namespace, hostUsers: false, are " +
				"exempt); NSA/CISA Kubernetes Hardening Guide, Pod security.",
			Remediation: "Remove securityContext.procMount or set it to Default.",
			Frameworks:  finding.Frameworks{NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{containers: true, container: "securityContext.procMount"},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.userNamespace || variables.containers.all(c, c.?securityContext.?procMount.orValue('Default') == 'Default')",
			Message:    celexpr.ContainersWhere("c.?securityContext.?procMount.orValue('Default') != 'Default'") + " + ' must not set securityContext.procMount to Unmasked outside a user namespace'",
		},
	})
}

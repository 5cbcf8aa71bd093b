// Rule pod/added-capabilities: a container may add only capabilities of the runtime's
// default set (securityContext.capabilities.add). SYS_ADMIN, NET_ADMIN, SYS_PTRACE,
// NET_RAW and the like are forbidden. The verdict is the library's baseline check
// "capabilities_baseline".
package pss

import (
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	register(pssRule{
		check: "capabilities_baseline",
		meta: rule.Meta{
			ID:       "pod/added-capabilities",
			Title:    "Container adds capabilities beyond the default set",
			Severity: finding.High,
			Description: "securityContext.capabilities.add may only name capabilities of the container runtime's default " +
				"set: AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, " +
				"SETPCAP, SETUID and SYS_CHROOT. Others, such as SYS_ADMIN, SYS_PTRACE, SYS_MODULE, NET_ADMIN or NET_RAW, " +
				"give power over the kernel or the node's network and are the usual steps of a container escape. Pod " +
				"Security Standards, baseline level, control Capabilities (check capabilities_baseline of " +
				"k8s.io/pod-security-admission); CIS Kubernetes Benchmark 5.2.9; NSA/CISA Kubernetes Hardening Guide, " +
				"Pod security.",
			Remediation: "Remove every capability outside the default set from securityContext.capabilities.add; run a workload that truly needs one in a namespace whose policy allows it.",
			Frameworks:  finding.Frameworks{CIS: "5.2.9", NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{containers: true, container: "securityContext.capabilities.add"},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.containers.all(c, c.?securityContext.?capabilities.?add.orValue([]).all(x, x in " + baselineCapabilitiesCEL + "))",
			Message:    celexpr.ContainersWhere("!c.?securityContext.?capabilities.?add.orValue([]).all(x, x in "+baselineCapabilitiesCEL+")") + " + ' must not add capabilities beyond the default set " + strings.ReplaceAll(baselineCapabilitiesCEL, "'", "") + "'",
		},
	})
}

// baselineCapabilitiesCEL are the capabilities the baseline level lets a container add.
const baselineCapabilitiesCEL = "['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']"

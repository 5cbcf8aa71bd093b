// Rule pod/unrestricted-capabilities: every container must drop ALL capabilities and
// may add back only NET_BIND_SERVICE. The verdict is the library's restricted check
// "capabilities_restricted" (from v1.22; Windows pods are exempt from v1.25).
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	register(pssRule{
		check: "capabilities_restricted",
		meta: rule.Meta{
			ID:       "pod/unrestricted-capabilities",
			Title:    "Container keeps capabilities it should drop",
			Severity: finding.Medium,
			Description: "At the restricted level every container must set securityContext.capabilities.drop: [\"ALL\"] and " +
				"may add back only NET_BIND_SERVICE. Otherwise the process keeps the runtime's default capabilities, " +
				"among them NET_RAW (spoofing and sniffing on the pod network), DAC_OVERRIDE, CHOWN and SETUID, which an " +
				"attacker who gets code execution uses next. Pod Security Standards, restricted level, control " +
				"Capabilities (check capabilities_restricted of k8s.io/pod-security-admission, from v1.22; Windows pods " +
				"are exempt from v1.25); CIS Kubernetes Benchmark 5.2.9 (and 5.2.8, as dropping ALL drops NET_RAW); " +
				"NSA/CISA Kubernetes Hardening Guide, Pod security.",
			Remediation: "Set securityContext.capabilities.drop: [\"ALL\"] on every container and add back only NET_BIND_SERVICE when the process binds a port below 1024.",
			Frameworks:  finding.Frameworks{CIS: "5.2.9", NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{containers: true, container: "securityContext.capabilities"},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.windows || variables.containers.all(c, " + restrictedCapsCEL + ")",
			Message:    celexpr.ContainersWhere("!("+restrictedCapsCEL+")") + " + ' must set securityContext.capabilities.drop=[\"ALL\"] and may add only NET_BIND_SERVICE'",
		},
	})
}

// restrictedCapsCEL: container c drops ALL and adds at most NET_BIND_SERVICE.
const restrictedCapsCEL = "'ALL' in c.?securityContext.?capabilities.?drop.orValue([]) && c.?securityContext.?capabilities.?add.orValue([]).all(x, x == 'NET_BIND_SERVICE')"

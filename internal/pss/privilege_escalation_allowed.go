// Rule pod/privilege-escalation-allowed: at the restricted level every container must
// set securityContext.allowPrivilegeEscalation: false. The verdict is the library's
// restricted check "allowPrivilegeEscalation" (from v1.8; Windows pods are exempt from
// v1.25).
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	register(pssRule{
		check: "allowPrivilegeEscalation",
		meta: rule.Meta{
			ID:       "pod/privilege-escalation-allowed",
			Title:    "Container allows privilege escalation",
			Severity: finding.Medium,
			Description: "At the restricted level every container must set securityContext.allowPrivilegeEscalation: false, " +
				"which sets no_new_privs on the process so that set-user-ID and set-group-ID binaries and file " +
				"capabilities cannot raise its privileges. Left unset, escalation is allowed. Pod Security Standards, " +
				"restricted level, control Privilege Escalation (check allowPrivilegeEscalation of " +
				"k8s.io/pod-security-admission, from v1.8; Windows pods are exempt from v1.25); CIS Kubernetes " +
				"Benchmark 5.2.6; NSA/CISA Kubernetes Hardening Guide, Pod security.",
			Remediation: "Set securityContext.allowPrivilegeEscalation: false on every container, init and ephemeral containers included.",
			Frameworks:  finding.Frameworks{CIS: "5.2.6", NSA: "pod-security", MITRE: "T1548.001"},
		},
		where: where{containers: true, container: "securityContext.allowPrivilegeEscalation"},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.windows || variables.containers.all(c, c.?securityContext.?allowPrivilegeEscalation.orValue(true) == false)",
			Message:    celexpr.ContainersWhere("c.?securityContext.?allowPrivilegeEscalation.orValue(true) != false") + " + ' must set securityContext.allowPrivilegeEscalation=false'",
		},
	})
}

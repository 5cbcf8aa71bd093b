// Rule pod/privileged-container: no container may run privileged
// (securityContext.privileged: true). A privileged container holds every capability and
// sees every device of the node, so a process in it can take the node over.
// The verdict is the library's baseline check "privileged".
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	register(pssRule{
		check: "privileged",
		meta: rule.Meta{
			ID:       "pod/privileged-container",
			Title:    "Container runs privileged",
			Severity: finding.Critical,
			Description: "A privileged container (securityContext.privileged: true) runs with every Linux capability and " +
				"every device of the node, with most of the runtime's isolation switched off: a process inside can " +
				"load kernel modules, mount the node's disks and take the node over. Pod Security Standards, baseline " +
				"level, control Privileged Containers (check privileged of k8s.io/pod-security-admission); CIS " +
				"Kubernetes Benchmark 5.2.2; NSA/CISA Kubernetes Hardening Guide, Pod security.",
			Remediation: "Remove securityContext.privileged: true (or set it to false) and grant only the capabilities the process needs.",
			Frameworks:  finding.Frameworks{CIS: "5.2.2", NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{containers: true, container: "securityContext.privileged"},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.containers.all(c, !c.?securityContext.?privileged.orValue(false))",
			Message:    celexpr.ContainersWhere("c.?securityContext.?privileged.orValue(false)") + " + ' must not set securityContext.privileged=true'",
		},
	})
}

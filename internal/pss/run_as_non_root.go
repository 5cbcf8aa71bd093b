// Rule pod/run-as-non-root: at the restricted level the pod, or every container, must
// set securityContext.runAsNonRoot: true, and none may set it to false. The verdict is
// the library's restricted check "runAsNonRoot" (from v1.35 pods with their own user
// namespace, hostUsers: false, are exempt).
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	register(pssRule{
		check: "runAsNonRoot",
		meta: rule.Meta{
			ID:       "pod/run-as-non-root",
			Title:    "Container may run as root",
			Severity: finding.Medium,
			Description: "At the restricted level containers must be required to run as a non-root user: " +
				"securityContext.runAsNonRoot: true on the pod or on every container, so that the kubelet refuses to " +
				"start a container whose image would run as UID 0. Root in a container owns every file the container " +
				"can reach and is one kernel or runtime bug away from root on the node. Pod Security Standards, " +
				"restricted level, control Running as Non-root (check runAsNonRoot of k8s.io/pod-security-admission; " +
				"from v1.35 pods with their own user namespace, hostUsers: false, are exempt); CIS Kubernetes Benchmark " +
				"5.2.7; NSA/CISA Kubernetes Hardening Guide, Pod security (non-root containers).",
			Remediation: "Set spec.securityContext.runAsNonRoot: true (with a non-zero runAsUser if the image has no non-root USER) and remove runAsNonRoot: false from every container.",
			Frameworks:  finding.Frameworks{CIS: "5.2.7", NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{
			containers: true, container: "securityContext.runAsNonRoot",
			pod: []string{"spec.securityContext.runAsNonRoot"},
		},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.userNamespace || (variables.spec.?securityContext.?runAsNonRoot.orValue(true) == true && " +
				"variables.containers.all(c, c.?securityContext.?runAsNonRoot.orValue(variables.spec.?securityContext.?runAsNonRoot.orValue(false)) == true))",
			Message: "'pod or containers ' + " + celexpr.ContainerNames("c.?securityContext.?runAsNonRoot.orValue(variables.spec.?securityContext.?runAsNonRoot.orValue(false)) != true") + " + ' must set securityContext.runAsNonRoot=true, and none may set it to false'",
		},
	})
}

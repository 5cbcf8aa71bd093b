// Rule pod/run-as-root-user: at the restricted level neither the pod nor a container
// may set securityContext.runAsUser: 0. The verdict is the library's restricted check
// "runAsUser" (from v1.23; from v1.35 pods with their own user namespace are exempt).
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	register(pssRule{
		check: "runAsUser",
		meta: rule.Meta{
			ID:       "pod/run-as-root-user",
			Title:    "Container is set to run as root (UID 0)",
			Severity: finding.Medium,
			Description: "securityContext.runAsUser: 0 on the pod or on a container runs the process as root whatever the " +
				"image says. Root in a container owns every file the container can reach and is one kernel or runtime " +
				"bug away from root on the node. Pod Security Standards, restricted level, control Running as Non-root " +
				"user (check runAsUser of k8s.io/pod-security-admission, from v1.23; from v1.35 pods with their own " +
				"user namespace, hostUsers: false, are exempt); CIS Kubernetes Benchmark 5.2.7; NSA/CISA Kubernetes " +
				"Hardening Guide, Pod security (non-root containers).",
			Remediation: "Set runAsUser to a non-zero UID (for example 10001), or remove it and build the image with a non-root USER.",
			Frameworks:  finding.Frameworks{CIS: "5.2.7", NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{
			containers: true, container: "securityContext.runAsUser",
			pod: []string{"spec.securityContext.runAsUser"},
		},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.userNamespace || (variables.spec.?securityContext.?runAsUser.orValue(1) != 0 && variables.containers.all(c, c.?securityContext.?runAsUser.orValue(1) != 0))",
			Message:    "'pod or containers must not set runAsUser=0'",
		},
	})
}

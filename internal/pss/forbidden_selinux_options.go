// Rule pod/forbidden-selinux-options: the pod and its containers may set an SELinux
// type only from the container types (container_t, container_init_t, container_kvm_t,
// and container_engine_t from v1.31) and must not set an SELinux user or role.
// The verdict is the library's baseline check "seLinuxOptions".
package pss

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	register(pssRule{
		check: "seLinuxOptions",
		meta: rule.Meta{
			ID:       "pod/forbidden-selinux-options",
			Title:    "Pod sets a forbidden SELinux type, user or role",
			Severity: finding.Medium,
			Description: "securityContext.seLinuxOptions may set the type only to container_t, container_init_t, " +
				"container_kvm_t or (from v1.31) container_engine_t, and must not set user or role. Other labels, such " +
				"as spc_t (super-privileged container) or unconfined_t, lift the SELinux confinement that keeps a " +
				"container from the node's files and processes. Pod Security Standards, baseline level, control " +
				"SELinux (check seLinuxOptions of k8s.io/pod-security-admission); NSA/CISA Kubernetes Hardening Guide, " +
				"Pod security.",
			Remediation: "Remove securityContext.seLinuxOptions.user and .role, and set .type to container_t (or leave it unset) on the pod and its containers.",
			Frameworks:  finding.Frameworks{NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{
			containers: true, container: "securityContext.seLinuxOptions",
			pod: []string{"spec.securityContext.seLinuxOptions"},
		},
		cel: &rule.CEL{Pod: true,
			Expression: selinuxOKCEL("variables.spec.?securityContext.?seLinuxOptions.orValue({})") + " && variables.containers.all(c, " + selinuxOKCEL("c.?securityContext.?seLinuxOptions.orValue({})") + ")",
			Message:    "'pod or containers set forbidden securityContext.seLinuxOptions: type must be one of container_t, container_init_t, container_kvm_t, container_engine_t; user and role may not be set'",
		},
	})
}

// selinuxOKCEL: the seLinuxOptions opts set an allowed type, and no user or role.
func selinuxOKCEL(opts string) string {
	return fmt.Sprintf("(%[1]s.?type.orValue('') in ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'] && %[1]s.?user.orValue('') == '' && %[1]s.?role.orValue('') == '')", opts)
}

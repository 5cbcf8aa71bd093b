// Rule pod/unsafe-sysctls: a pod may set only the sysctls that are namespaced and
// isolated from other pods (spec.securityContext.sysctls); the safe set grows with the
// policy version. The verdict is the library's baseline check "sysctls".
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	register(pssRule{
		check: "sysctls",
		meta: rule.Meta{
			ID:       "pod/unsafe-sysctls",
			Title:    "Pod sets an unsafe sysctl",
			Severity: finding.Medium,
			Description: "spec.securityContext.sysctls may only set sysctls that are namespaced and isolated from other " +
				"pods: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.ip_unprivileged_port_start, " +
				"net.ipv4.tcp_syncookies and net.ipv4.ping_group_range, joined by more net.ipv4 settings in later " +
				"policy versions (v1.27, v1.29, v1.32, v1.37). Other sysctls can change the node's kernel for every " +
				"workload on it or switch security features off. Pod Security Standards, baseline level, control " +
				"Sysctls (check sysctls of k8s.io/pod-security-admission); NSA/CISA Kubernetes Hardening Guide, Pod " +
				"security.",
			Remediation: "Remove the sysctls outside the safe set from spec.securityContext.sysctls; tune the node through its own configuration instead.",
			Frameworks:  finding.Frameworks{NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{pod: []string{"spec.securityContext.sysctls"}},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.spec.?securityContext.?sysctls.orValue([]).all(s, s.name in " + safeSysctlsCEL + ")",
			Message:    "'forbidden sysctls ' + variables.spec.?securityContext.?sysctls.orValue([]).filter(s, !(s.name in " + safeSysctlsCEL + ")).map(s, s.name).join(', ')",
		},
	})
}

// safeSysctlsCEL are the sysctls the baseline level allows.
const safeSysctlsCEL = "['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem', 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat']"

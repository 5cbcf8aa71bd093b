// Rule pod/windows-host-process: neither the pod nor a container may set
// securityContext.windowsOptions.hostProcess: true. A HostProcess container runs on the
// Windows node as a process of the node itself. The verdict is the library's baseline
// check "windowsHostProcess".
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	register(pssRule{
		check: "windowsHostProcess",
		meta: rule.Meta{
			ID:       "pod/windows-host-process",
			Title:    "Pod runs a Windows HostProcess container",
			Severity: finding.Critical,
			Description: "A Windows HostProcess container (securityContext.windowsOptions.hostProcess: true) runs directly " +
				"on the Windows node, as a process of the node with its network, files and processes: it is the Windows " +
				"counterpart of a privileged container. Pod Security Standards, baseline level, control HostProcess " +
				"(check windowsHostProcess of k8s.io/pod-security-admission); CIS Kubernetes Benchmark 5.2.10; NSA/CISA " +
				"Kubernetes Hardening Guide, Pod security.",
			Remediation: "Remove securityContext.windowsOptions.hostProcess (or set it to false) on the pod and on every container.",
			Frameworks:  finding.Frameworks{CIS: "5.2.10", NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{
			containers: true, container: "securityContext.windowsOptions.hostProcess",
			pod: []string{"spec.securityContext.windowsOptions.hostProcess"},
		},
		cel: &rule.CEL{Pod: true,
			Expression: "!variables.spec.?securityContext.?windowsOptions.?hostProcess.orValue(false) && variables.containers.all(c, !c.?securityContext.?windowsOptions.?hostProcess.orValue(false))",
			Message:    "'pod or containers must not set securityContext.windowsOptions.hostProcess=true'",
		},
	})
}

// Rule pod/host-ports: no container port may set hostPort. A host port binds the
// container on the node's own addresses, around Services and often around
// NetworkPolicy. The verdict is the library's baseline check "hostPorts".
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	register(pssRule{
		check: "hostPorts",
		meta: rule.Meta{
			ID:       "pod/host-ports",
			Title:    "Container binds a port on the node",
			Severity: finding.Medium,
			Description: "A container port with hostPort set is bound on every address of the node the pod runs on: the " +
				"workload is reachable from outside the cluster network without a Service, many network plugins do not " +
				"apply NetworkPolicy to that traffic, and only one such pod fits on a node. Pod Security Standards, " +
				"baseline level, control HostPorts (check hostPorts of k8s.io/pod-security-admission); CIS Kubernetes " +
				"Benchmark 5.2.12; NSA/CISA Kubernetes Hardening Guide, Pod security.",
			Remediation: "Remove hostPort from the container's ports and expose the workload through a Service instead.",
			Frameworks:  finding.Frameworks{CIS: "5.2.12", NSA: "pod-security"},
		},
		where: where{containers: true, container: "ports"},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.containers.all(c, c.?ports.orValue([]).all(p, p.?hostPort.orValue(0) == 0))",
			Message:    celexpr.ContainersWhere("!c.?ports.orValue([]).all(p, p.?hostPort.orValue(0) == 0)") + " + ' must not set ports[].hostPort'",
		},
	})
}

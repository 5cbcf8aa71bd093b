// Rule pod/probe-or-lifecycle-host: probes and lifecycle handlers must not set
// httpGet.host or tcpSocket.host, which make the kubelet connect to another host than
// the pod. The verdict is the library's baseline check "hostProbesAndHostLifecycle"
// (from v1.34).
package pss

import (
	"fmt"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	register(pssRule{
		check: "hostProbesAndHostLifecycle",
		meta: rule.Meta{
			ID:       "pod/probe-or-lifecycle-host",
			Title:    "Probe or lifecycle handler points the kubelet at another host",
			Severity: finding.Medium,
			Description: "A liveness, readiness or startup probe, or a postStart or preStop handler, with httpGet.host or " +
				"tcpSocket.host set makes the kubelet connect to that host instead of the pod: whoever writes the pod " +
				"spec can point the node's kubelet at node-local services, the cloud metadata endpoint or other " +
				"internal addresses. Pod Security Standards, baseline level, control Probes and lifecycle hooks (check " +
				"hostProbesAndHostLifecycle of k8s.io/pod-security-admission, from v1.34); NSA/CISA Kubernetes " +
				"Hardening Guide, Pod security.",
			Remediation: "Remove the host field from httpGet and tcpSocket probes and lifecycle handlers so that the kubelet connects to the pod's own IP.",
			Frameworks:  finding.Frameworks{NSA: "pod-security"},
		},
		where: where{containers: true},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.containers.all(c, " + noHostsCEL + ")",
			Message:    celexpr.ContainersWhere("!("+noHostsCEL+")") + " + ' must not set a host in probes or lifecycle handlers'",
		},
	})
}

// noHostsCEL: no probe or lifecycle handler of container c names a host.
var noHostsCEL = func() string {
	var terms []string
	for _, h := range []string{"livenessProbe", "readinessProbe", "startupProbe", "lifecycle.?postStart", "lifecycle.?preStop"} {
		for _, a := range []string{"httpGet", "tcpSocket"} {
			terms = append(terms, fmt.Sprintf("c.?%s.?%s.?host.orValue('') == ''", h, a))
		}
	}
	return strings.Join(terms, " && ")
}()

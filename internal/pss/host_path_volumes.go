// Rule pod/host-path-volumes: a pod must not mount a directory or file of the node
// (a hostPath volume). The verdict is the library's baseline check "hostPathVolumes";
// each hostPath volume is reported at its own field.
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	register(pssRule{
		check: "hostPathVolumes",
		meta: rule.Meta{
			ID:       "pod/host-path-volumes",
			Title:    "Pod mounts a path of the node",
			Severity: finding.High,
			Description: "A hostPath volume mounts a file or directory of the node into the pod. Through paths such as /, " +
				"/etc, /var/lib/kubelet or the container runtime's socket a process in the pod can read the secrets of " +
				"other pods, change the node's configuration or start containers of its own on the node. Pod Security " +
				"Standards, baseline level, control HostPath Volumes (check hostPathVolumes of " +
				"k8s.io/pod-security-admission); CIS Kubernetes Benchmark 5.2.11; NSA/CISA Kubernetes Hardening Guide, " +
				"Pod security.",
			Remediation: "Replace the hostPath volume with an emptyDir, configMap, secret, projected or persistentVolumeClaim volume; keep node agents that truly need node paths in a namespace of their own.",
			Frameworks:  finding.Frameworks{CIS: "5.2.11", NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{volumes: true, volume: "hostPath"},
		cel: &rule.CEL{Pod: true,
			Expression: "variables.spec.?volumes.orValue([]).all(v, !has(v.hostPath))",
			Message:    "'volumes ' + variables.spec.?volumes.orValue([]).filter(v, has(v.hostPath)).map(v, '\"' + v.name + '\"').join(', ') + ' must not use hostPath'",
		},
	})
}

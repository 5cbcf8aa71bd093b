package workload

// pod/writable-host-path: a container that mounts a hostPath volume should mount it
// readOnly: true. A writable host directory lets the container change files on the
// node: plant a cron job or systemd unit, replace a binary, edit kubelet
// configuration. Each writable mount is reported, in init, regular and ephemeral
// containers alike. (readOnly does not stop a container from talking to a socket it
// mounts; pod/sensitive-host-path covers runtime sockets.)

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/writable-host-path",
			Title:    "hostPath volume is mounted writable",
			Severity: finding.High,
			Description: "A hostPath volume mounted without readOnly: true lets the container write to the node's " +
				"filesystem, which is a short path to running code on the host outside any container. The NSA/CISA " +
				"Kubernetes Hardening Guide (Kubernetes Pod security) and CIS Kubernetes Benchmark 5.2.11 ask to avoid " +
				"hostPath; where one is needed, kube-linter (writable-host-mount) and Kubescape (C-0045) ask for " +
				"read-only mounts.",
			Remediation: "Set readOnly: true on the volumeMount, or replace the hostPath volume with an emptyDir, " +
				"ConfigMap or persistent volume.",
			Frameworks: finding.Frameworks{CIS: "5.2.11", NSA: nsaPodSecurity, MITRE: "T1611"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(writableHostPath),
		CEL: &rule.CEL{Pod: true,
			Expression: "variables.containers.all(c, !(" + writableHostMountCEL + "))",
			Message:    celexpr.ContainersWhere(writableHostMountCEL) + " + ' mount a hostPath volume without readOnly: true'",
		},
	})
}

func writableHostPath(_ *rule.Context, _ *inventory.Object, p podspec.Pod) []rule.Result {
	hostPaths := map[string]string{} // volume name → host path
	for _, v := range p.Volumes() {
		if v.HostPath != nil {
			hostPaths[v.Name] = v.HostPath.Path
		}
	}
	if len(hostPaths) == 0 {
		return nil
	}
	var out []rule.Result
	for ct := range p.AllContainers {
		for j, m := range ct.VolumeMounts {
			host, ok := hostPaths[m.Name]
			if !ok || m.ReadOnly {
				continue
			}
			out = append(out, rule.Result{
				Message: fmt.Sprintf("%s mounts hostPath volume %q (host path %s) at %s without readOnly: true",
					ct.Describe(), m.Name, host, m.MountPath),
				Path: fmt.Sprintf("%s.volumeMounts[%d].readOnly", ct.Path, j),
			})
		}
	}
	return out
}

// writableHostMountCEL: container c mounts a hostPath volume without readOnly.
const writableHostMountCEL = "c.?volumeMounts.orValue([]).exists(m, !m.?readOnly.orValue(false) && variables.spec.?volumes.orValue([]).exists(v, v.name == m.name && has(v.hostPath)))"

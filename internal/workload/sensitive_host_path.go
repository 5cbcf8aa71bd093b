package workload

// pod/sensitive-host-path: a pod should not mount, through a hostPath volume, a host
// location that gives control of the node or its secrets: the root filesystem, a
// container runtime socket or its directory, kubelet and etcd state, node
// configuration, /proc, /sys, /dev, logs (see hostpath.go for the list). A parent of
// such a location exposes it as well (/var holds /var/run/docker.sock), and so does
// anything below a sensitive tree (/etc/kubernetes/pki). Paths are normalized before
// they are compared. Runtime sockets and the root filesystem are critical, the rest
// high; read-only does not help, so the rule does not look at mounts.

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/sensitive-host-path",
			Title:    "hostPath volume exposes a sensitive host location",
			Severity: finding.High,
			Description: "Some host locations are the node itself: a container runtime socket (Docker, containerd, " +
				"CRI-O, Podman) starts privileged containers on request, the root filesystem and /etc hold credentials " +
				"and boot configuration, /var/lib/kubelet holds every pod's secrets and tokens, /proc, /sys and /dev " +
				"reach the kernel and disks, and a writable /var/log lets the kubelet read any host file through a " +
				"symbolic link. Reading them is often enough to take the node. CIS Kubernetes Benchmark 5.2.12 and the " +
				"NSA/CISA Kubernetes Hardening Guide (Kubernetes Pod security) ask to avoid hostPath; Kubescape (C-0048, " +
				"C-0074) and kube-linter (docker-sock, sensitive-host-mounts) list these paths. Runtime sockets and the " +
				"root filesystem are critical.",
			Remediation: "Remove the hostPath volume; give node agents narrow, read-only mounts of exactly the files " +
				"they need, and never a container runtime socket.",
			Frameworks: finding.Frameworks{CIS: "5.2.12", NSA: nsaPodSecurity, MITRE: "T1611"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(sensitiveHostPath),
	})
}

func sensitiveHostPath(_ *rule.Context, _ *inventory.Object, p podspec.Pod) []rule.Result {
	var out []rule.Result
	for _, v := range p.Volumes() {
		if v.HostPath == nil {
			continue
		}
		written := v.HostPath.Path
		clean := cleanHostPath(written)
		m, ok := classifyHostPath(clean)
		if !ok {
			continue
		}
		shown := clean
		if clean != written {
			shown = fmt.Sprintf("%q (%s)", written, clean)
		}
		var what string
		switch m.Relation {
		case isLocation:
			what = m.Location.What
		case insideLocation:
			what = fmt.Sprintf("inside %s, %s", m.Location.Path, m.Location.What)
		case holdsLocation:
			what = fmt.Sprintf("which holds %s, %s", m.Location.Path, m.Location.What)
		}
		r := rule.Result{
			Message: fmt.Sprintf("hostPath volume %q mounts %s, %s", v.Name, shown, what),
			Path:    v.Path + ".hostPath.path",
		}
		if m.Location.Critical {
			r.Severity = severity(finding.Critical)
		}
		out = append(out, r)
	}
	return out
}

package workload

// pod/sensitive-host-path: a pod should not mount, through a hostPath volume, a host
// location that gives control of the node or its secrets: the root filesystem, a
// container runtime socket or its directory, systemd's and D-Bus's sockets, kubelet,
// etcd, k3s, RKE2 and k0s state, node configuration, CNI plugin binaries, the host's
// program and library directories (/usr, /lib, /bin, /sbin, whole), /proc, /sys,
// /dev, logs (see hostpath.go for the list). Time zone files and the host's public CA
// certificates are not reported. A parent of
// such a location exposes it as well (/var holds /var/run/docker.sock), and so does
// anything below a sensitive tree (/etc/kubernetes/pki). Paths are normalized before
// they are compared. Runtime sockets and the root filesystem are critical, the rest
// high; read-only does not help, so the rule does not look at mounts.

import (
	"fmt"
	"maps"
	"slices"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/sensitive-host-path",
			Title:    "hostPath volume exposes a sensitive host location",
			Severity: finding.High,
			Description: "Some host locations are the node itself: a container runtime socket (Docker, containerd, " +
				"CRI-O, Podman, BuildKit, under /run or /var/run) starts privileged containers on request, and so do " +
				"systemd's and D-Bus's sockets for host services; the root filesystem, /etc and /etc/kubernetes hold " +
				"credentials and boot configuration; /var/lib/kubelet holds every pod's secrets and tokens, and the k3s, " +
				"RKE2 and k0s state directories the cluster's CA keys; /usr, /lib, /bin, /sbin and /opt/cni/bin hold " +
				"programs that root runs; /proc, /sys and /dev reach the kernel and disks; and a writable /var/log lets " +
				"the kubelet read any host file through a symbolic link. Reading them is often enough to take the node. " +
				"CIS Kubernetes Benchmark 5.2.11 and the NSA/CISA Kubernetes Hardening Guide (Kubernetes Pod security) ask " +
				"to avoid hostPath; Kubescape (C-0048, C-0074) and kube-linter (docker-sock, sensitive-host-mounts) list " +
				"these paths. Runtime, systemd and D-Bus sockets and the root filesystem are critical. Time zone files, " +
				"the host's public CA certificates and single subdirectories of the program directories (/lib/modules, " +
				"/usr/share/zoneinfo) are not reported.",
			Remediation: "Remove the hostPath volume; give node agents narrow, read-only mounts of exactly the files " +
				"they need, and never a container runtime socket.",
			Frameworks: finding.Frameworks{CIS: "5.2.11", NSA: nsaPodSecurity, MITRE: "T1611"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(sensitiveHostPath),
		CEL: &rule.CEL{Pod: true,
			Expression: hostPathFormsCEL + ".all(f, !(" + sensitiveHostFormCEL("f") + "))",
			Message:    "'hostPath volumes ' + " + hostPathFormsCEL + ".filter(f, " + sensitiveHostFormCEL("f") + ").map(f, '\"' + f[0] + '\" (' + f[1] + ')').join(', ') + ' mount sensitive host locations (runtime sockets, the root filesystem, /etc, /var/lib/kubelet, /usr, /proc, /sys, /dev and the like)'",
		},
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

// sensitiveHostExact and sensitiveHostTrees are sensitiveHostPaths for CEL: the
// locations, and those whose every descendant is sensitive too. They are derived from
// it, so that Go and CEL judge by one list.
var sensitiveHostExact, sensitiveHostTrees = func() (exact, trees []string) {
	for _, l := range sensitiveHostPaths {
		if l.Subtree {
			trees = append(trees, l.Path)
		} else {
			exact = append(exact, l.Path)
		}
	}
	return exact, trees
}()

// cleanPathCEL is path.Clean of the hostPath x taken from "/", as cleanHostPath
// does: the elements other than "" and "." are kept unless a later ".." pops them, that
// is unless some stretch after one holds more ".." than other elements.
func cleanPathCEL(x string) string {
	elems := fmt.Sprintf("(%[1]s.startsWith('/') ? %[1]s : '/' + %[1]s).split('/').filter(e, e != '' && e != '.')", x)
	kept := fmt.Sprintf("%[1]s[i] != '..' && !lists.range(%[1]s.size()).exists(j, j > i && %[1]s.slice(i + 1, j + 1).filter(e, e == '..').size() > %[1]s.slice(i + 1, j + 1).filter(e, e != '..').size())", elems)
	return fmt.Sprintf("('/' + lists.range(%[1]s.size()).filter(i, %[2]s).map(i, %[1]s[i]).join('/'))", elems, kept)
}

// hostPathFormsCEL lists, for each hostPath volume of the pod, [name, path as written,
// path as a Windows pipe name, path cleaned as cleanHostPath does]: each form is
// computed once per volume, which keeps the policy within the API server's cost limit.
var hostPathFormsCEL = func() string {
	x := "v.hostPath.?path.orValue('')"
	return fmt.Sprintf("variables.spec.?volumes.orValue([]).filter(v, has(v.hostPath)).map(v, [string(v.name), string(%[1]s), %[1]s.replace('/', '\\\\').replace('\\u212a', 'k').lowerAscii(), %[2]s])",
		x, cleanPathCEL(x))
}()

// sensitiveHostFormCEL: classifyHostPath finds the volume f of hostPathFormsCEL
// sensitive. A known Windows runtime pipe is; another pipe is not; a path is when,
// cleaned, it is a location, lies below a sensitive tree or holds a location, unless
// it is benign.
func sensitiveHostFormCEL(f string) string {
	pipe, c := f+"[2]", f+"[3]"
	all := celexpr.List(append(append([]string(nil), sensitiveHostExact...), sensitiveHostTrees...))
	benign := slices.Sorted(maps.Keys(benignHostPaths))
	pipes := slices.Sorted(maps.Keys(windowsPipes))
	return fmt.Sprintf("(%[1]s.startsWith('\\\\\\\\.\\\\pipe\\\\') ? %[1]s in %[2]s : "+
		"!(%[3]s in %[6]s || %[7]s.exists(d, %[3]s == d || %[3]s.startsWith(d + '/'))) && "+
		"(%[3]s in %[4]s || %[5]s.exists(d, %[3]s.startsWith(d + '/')) || %[4]s.exists(l, l.startsWith(%[3]s + '/'))))",
		pipe, celexpr.List(pipes), c, all, celexpr.List(sensitiveHostTrees), celexpr.List(benign), celexpr.List(benignHostTrees))
}

package workload

// Host locations that a hostPath volume must not expose, and the normalizer that
// turns a written hostPath into the path the kubelet mounts.

import (
	"path"
	"strings"
)

// hostLocation is one sensitive place on a node.
type hostLocation struct {
	Path string
	// Subtree marks a directory every descendant of which is sensitive too
	// (/etc/kubernetes/pki is as sensitive as /etc/kubernetes).
	Subtree bool
	// Critical marks a location that gives control of the node outright: its root
	// filesystem, or a container runtime socket.
	Critical bool
	// What says what the location is, for messages.
	What string
}

// runDirs spells a location under /run both ways: /var/run is a symbolic link to /run
// on current distributions, and manifests use either.
func runDirs(l hostLocation) []hostLocation {
	alias := l
	alias.Path = "/var" + l.Path
	return []hostLocation{l, alias}
}

// sensitiveHostPaths are checked in order; the first, most specific, entries give the
// best explanation.
var sensitiveHostPaths = func() []hostLocation {
	var ls []hostLocation
	add := func(l ...hostLocation) { ls = append(ls, l...) }
	add(hostLocation{Path: "/", Critical: true, What: "the host's root filesystem"})
	// Container runtime sockets: whoever reaches one starts privileged containers.
	add(runDirs(hostLocation{Path: "/run/docker.sock", Critical: true, What: "the Docker daemon socket"})...)
	add(runDirs(hostLocation{Path: "/run/dockershim.sock", Critical: true, What: "the dockershim CRI socket"})...)
	add(runDirs(hostLocation{Path: "/run/cri-dockerd.sock", Critical: true, What: "the cri-dockerd CRI socket"})...)
	add(runDirs(hostLocation{Path: "/run/containerd/containerd.sock", Critical: true, What: "the containerd socket"})...)
	add(runDirs(hostLocation{Path: "/run/crio/crio.sock", Critical: true, What: "the CRI-O socket"})...)
	add(runDirs(hostLocation{Path: "/run/podman/podman.sock", Critical: true, What: "the Podman API socket"})...)
	add(runDirs(hostLocation{Path: "/run/k3s/containerd/containerd.sock", Critical: true, What: "the k3s containerd socket"})...)
	add(runDirs(hostLocation{Path: "/run/containerd", Subtree: true, Critical: true, What: "containerd's runtime directory, which holds its sockets"})...)
	add(runDirs(hostLocation{Path: "/run/crio", Subtree: true, Critical: true, What: "CRI-O's runtime directory, which holds its socket"})...)
	add(runDirs(hostLocation{Path: "/run/podman", Subtree: true, Critical: true, What: "Podman's runtime directory, which holds its socket"})...)
	add(runDirs(hostLocation{Path: "/run/docker", Subtree: true, Critical: true, What: "Docker's runtime directory, which holds its plugin and containerd sockets"})...)
	add(runDirs(hostLocation{Path: "/run/k3s/containerd", Subtree: true, Critical: true, What: "k3s containerd's runtime directory, which holds its socket"})...)
	add(runDirs(hostLocation{Path: "/run/k0s/containerd.sock", Critical: true, What: "the k0s containerd socket"})...)
	add(runDirs(hostLocation{Path: "/run/buildkit/buildkitd.sock", Critical: true, What: "the BuildKit daemon socket, which builds and runs containers as root"})...)
	add(hostLocation{Path: "/var/snap/microk8s/common/run/containerd.sock", Critical: true, What: "the MicroK8s containerd socket"})
	// Init and message-bus sockets: root clients of these start units and services on the host.
	add(runDirs(hostLocation{Path: "/run/systemd/private", Critical: true, What: "systemd's private socket, which starts and stops host services"})...)
	add(runDirs(hostLocation{Path: "/run/dbus/system_bus_socket", Critical: true, What: "the D-Bus system bus, through which root asks systemd to run host services"})...)
	// Node configuration, credentials and state.
	add(
		hostLocation{Path: "/etc/kubernetes", Subtree: true, What: "the Kubernetes node configuration and PKI"},
		hostLocation{Path: "/var/lib/kubelet", Subtree: true, What: "the kubelet's state: every pod's volumes, secrets and service-account tokens"},
		hostLocation{Path: "/var/lib/etcd", Subtree: true, What: "the etcd data directory, the whole cluster state with its Secrets"},
		hostLocation{Path: "/var/lib/docker", Subtree: true, What: "Docker's storage, every container's filesystem"},
		hostLocation{Path: "/var/lib/containerd", Subtree: true, What: "containerd's storage, every container's filesystem"},
		hostLocation{Path: "/var/lib/containers", Subtree: true, What: "CRI-O and Podman storage, every container's filesystem"},
		hostLocation{Path: "/var/lib/rancher/k3s/server", Subtree: true, What: "the k3s server's state: the cluster's CA keys and join tokens"},
		hostLocation{Path: "/var/lib/rancher/k3s/agent", Subtree: true, What: "the k3s agent's state: kubelet credentials and containerd"},
		hostLocation{Path: "/var/lib/rancher/rke2/server", Subtree: true, What: "the RKE2 server's state: the cluster's CA keys and join tokens"},
		hostLocation{Path: "/var/lib/rancher/rke2/agent", Subtree: true, What: "the RKE2 agent's state: kubelet credentials and containerd"},
		hostLocation{Path: "/var/lib/k0s", Subtree: true, What: "k0s state: the cluster's PKI and containerd"},
		hostLocation{Path: "/opt/cni/bin", Subtree: true, What: "the CNI plugin binaries, which the runtime runs as root for every pod"},
		hostLocation{Path: "/var/log", Subtree: true, What: "the node's logs, which the kubelet follows symbolic links into"},
		hostLocation{Path: "/etc", Subtree: true, What: "the host's configuration, users and password hashes"},
		hostLocation{Path: "/proc", Subtree: true, What: "the host's process and kernel interface"},
		hostLocation{Path: "/sys", Subtree: true, What: "the host's kernel and cgroup interface"},
		hostLocation{Path: "/dev", Subtree: true, What: "the host's devices, its disks and memory"},
		hostLocation{Path: "/boot", Subtree: true, What: "the host's kernel and boot loader"},
		hostLocation{Path: "/root", Subtree: true, What: "the home directory of the host's root user"},
		hostLocation{Path: "/home", Subtree: true, What: "the home directories of the host's users"},
		// The host's program and library directories, whole: root runs what they hold, so
		// writing them runs code as root on the node, and reading them shows which
		// versions, and so which exploits, apply. No workload needs them whole; a single
		// file or subdirectory (/lib/modules for kube-proxy) is not reported.
		hostLocation{Path: "/usr", What: "the host's programs and libraries, which root runs"},
		hostLocation{Path: "/usr/bin", What: "the host's programs, which root runs"},
		hostLocation{Path: "/usr/sbin", What: "the host's system programs, which root runs"},
		hostLocation{Path: "/usr/lib", What: "the host's libraries, which root's programs load"},
		hostLocation{Path: "/usr/local/bin", What: "locally installed programs, which root runs"},
		hostLocation{Path: "/bin", What: "the host's programs, which root runs"},
		hostLocation{Path: "/sbin", What: "the host's system programs, which root runs"},
		hostLocation{Path: "/lib", What: "the host's libraries and kernel modules"},
		hostLocation{Path: "/lib64", What: "the host's libraries, which root's programs load"},
	)
	return ls
}()

// benignHostPaths lie in a sensitive tree but tell a container nothing it should not
// know; mounting them is common and harmless. So is every path in benignHostTrees, the
// public certificates of the host's trust store that controllers mount to reach cloud
// APIs (writing them is pod/writable-host-path's to report).
var (
	benignHostPaths = map[string]bool{
		"/etc/localtime": true,
		"/etc/timezone":  true,
	}
	benignHostTrees = []string{"/etc/ssl/certs", "/etc/pki/tls/certs", "/etc/pki/ca-trust/extracted", "/etc/ca-certificates"}
)

// isBenign reports a path that benignHostPaths or benignHostTrees name.
func isBenign(p string) bool {
	if benignHostPaths[p] {
		return true
	}
	for _, d := range benignHostTrees {
		if p == d || isBelow(p, d) {
			return true
		}
	}
	return false
}

// windowsPipes are the runtime named pipes of Windows nodes, lower case.
var windowsPipes = map[string]string{
	`\\.\pipe\docker_engine`:         "the Docker daemon named pipe",
	`\\.\pipe\containerd-containerd`: "the containerd named pipe",
	`\\.\pipe\cri-dockerd`:           "the cri-dockerd named pipe",
	`\\.\pipe\dockershim`:            "the dockershim named pipe",
}

// cleanHostPath normalizes a hostPath as the kubelet resolves it: duplicate slashes,
// "." and ".." elements and trailing slashes go; a relative path is taken from "/".
// Windows named pipes ("\\.\pipe\NAME") are kept, lower-cased, with backslashes.
func cleanHostPath(p string) string {
	if pipe, ok := pipeName(p); ok {
		return pipe
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return path.Clean(p)
}

func pipeName(p string) (string, bool) {
	s := strings.ToLower(strings.ReplaceAll(p, "/", `\`))
	if !strings.HasPrefix(s, `\\.\pipe\`) {
		return "", false
	}
	return s, true
}

// Relations of a host path to a sensitive location.
const (
	isLocation     = "is"     // the location itself
	holdsLocation  = "holds"  // a parent directory of it
	insideLocation = "inside" // below a sensitive tree
)

// hostPathMatch says why a host path is sensitive.
type hostPathMatch struct {
	Location hostLocation
	Relation string
}

// classifyHostPath tells whether a normalized host path exposes a sensitive location.
// A parent of a sensitive location exposes it too. When several locations match, a
// critical one wins, then the closest relation (is, inside, holds), then list order.
func classifyHostPath(p string) (hostPathMatch, bool) {
	if what, ok := windowsPipes[p]; ok {
		return hostPathMatch{hostLocation{Path: p, Critical: true, What: what}, isLocation}, true
	}
	if isBenign(p) || !strings.HasPrefix(p, "/") {
		return hostPathMatch{}, false
	}
	rank := func(m hostPathMatch) int {
		r := 0
		if m.Location.Critical {
			r += 10
		}
		switch m.Relation {
		case isLocation:
			r += 3
		case insideLocation:
			r += 2
		case holdsLocation:
			r++
		}
		return r
	}
	var best hostPathMatch
	found := false
	for _, l := range sensitiveHostPaths {
		var rel string
		switch {
		case p == l.Path:
			rel = isLocation
		case l.Subtree && isBelow(p, l.Path):
			rel = insideLocation
		case isBelow(l.Path, p):
			rel = holdsLocation
		default:
			continue
		}
		m := hostPathMatch{l, rel}
		if !found || rank(m) > rank(best) {
			best, found = m, true
		}
	}
	return best, found
}

// isBelow reports whether p lies strictly below dir.
func isBelow(p, dir string) bool {
	if dir == "/" {
		return p != "/"
	}
	return strings.HasPrefix(p, dir+"/")
}

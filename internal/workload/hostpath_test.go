package workload

import "testing"

func TestCleanHostPath(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"clean absolute path", "/var/run/docker.sock", "/var/run/docker.sock"},
		{"trailing slash", "/etc/", "/etc"},
		{"several trailing slashes", "/var/lib/kubelet///", "/var/lib/kubelet"},
		{"duplicate slashes", "//var//run//docker.sock", "/var/run/docker.sock"},
		{"dot element", "/var/./run/./docker.sock", "/var/run/docker.sock"},
		{"dot-dot element", "/opt/../etc/kubernetes", "/etc/kubernetes"},
		{"dot-dot above the root", "/../../etc", "/etc"},
		{"root written oddly", "/./", "/"},
		{"root as dot-dot", "/tmp/..", "/"},
		{"relative path is taken from the root", "var/log", "/var/log"},
		{"windows pipe keeps backslashes, lower case", `\\.\pipe\Docker_Engine`, `\\.\pipe\docker_engine`},
		{"windows pipe with forward slashes", `//./pipe/containerd-containerd`, `\\.\pipe\containerd-containerd`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cleanHostPath(tc.in); got != tc.want {
				t.Errorf("cleanHostPath(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestClassifyHostPath(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		ok       bool
		location string
		relation string
		critical bool
	}{
		{"host root", "/", true, "/", isLocation, true},
		{"docker socket", "/var/run/docker.sock", true, "/var/run/docker.sock", isLocation, true},
		{"docker socket under /run", "/run/docker.sock", true, "/run/docker.sock", isLocation, true},
		{"containerd socket", "/run/containerd/containerd.sock", true, "/run/containerd/containerd.sock", isLocation, true},
		{"crio socket", "/var/run/crio/crio.sock", true, "/var/run/crio/crio.sock", isLocation, true},
		{"podman socket", "/run/podman/podman.sock", true, "/run/podman/podman.sock", isLocation, true},
		{"containerd directory", "/run/containerd", true, "/run/containerd", isLocation, true},
		{"file inside the containerd directory", "/var/run/containerd/containerd.sock.ttrpc", true, "/var/run/containerd", insideLocation, true},
		{"parent of runtime sockets", "/var/run", true, "/var/run/docker.sock", holdsLocation, true},
		{"grandparent of runtime sockets", "/var", true, "/var/run/docker.sock", holdsLocation, true},
		{"/run holds sockets", "/run", true, "/run/docker.sock", holdsLocation, true},
		{"kubelet state", "/var/lib/kubelet", true, "/var/lib/kubelet", isLocation, false},
		{"kubelet pods directory", "/var/lib/kubelet/pods", true, "/var/lib/kubelet", insideLocation, false},
		{"parent of kubelet state", "/var/lib", true, "/var/lib/kubelet", holdsLocation, false},
		{"kubernetes PKI prefers the specific tree", "/etc/kubernetes/pki", true, "/etc/kubernetes", insideLocation, false},
		{"etc", "/etc", true, "/etc", isLocation, false},
		{"shadow file", "/etc/shadow", true, "/etc", insideLocation, false},
		{"cgroup filesystem", "/sys/fs/cgroup", true, "/sys", insideLocation, false},
		{"proc", "/proc", true, "/proc", isLocation, false},
		{"block device", "/dev/sda", true, "/dev", insideLocation, false},
		{"pod logs", "/var/log/pods", true, "/var/log", insideLocation, false},
		{"etcd data", "/var/lib/etcd", true, "/var/lib/etcd", isLocation, false},
		{"docker storage", "/var/lib/docker/overlay2", true, "/var/lib/docker", insideLocation, false},
		{"root's home", "/root/.ssh", true, "/root", insideLocation, false},
		{"boot", "/boot", true, "/boot", isLocation, false},
		{"windows docker pipe", `\\.\pipe\docker_engine`, true, `\\.\pipe\docker_engine`, isLocation, true},

		{"local time is benign", "/etc/localtime", false, "", "", false},
		{"xtables lock", "/run/xtables.lock", false, "", "", false},
		{"calico state", "/var/lib/calico", false, "", "", false},
		{"kernel modules", "/lib/modules", false, "", "", false},
		{"data directory", "/data/app", false, "", "", false},
		{"a name that only starts like etc", "/etcetera", false, "", "", false},
		{"a name that only starts like docker.sock", "/var/run/docker.sock.bak", false, "", "", false},
		{"other windows pipe", `\\.\pipe\my-app`, false, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := classifyHostPath(tc.in)
			if ok != tc.ok {
				t.Fatalf("classifyHostPath(%q) ok = %v, want %v (%+v)", tc.in, ok, tc.ok, m)
			}
			if !ok {
				return
			}
			if m.Location.Path != tc.location || m.Relation != tc.relation || m.Location.Critical != tc.critical {
				t.Errorf("classifyHostPath(%q) = %s %s (critical %v), want %s %s (critical %v)",
					tc.in, m.Relation, m.Location.Path, m.Location.Critical, tc.relation, tc.location, tc.critical)
			}
		})
	}
}

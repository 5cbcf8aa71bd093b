package node

// Layout is where a distribution keeps the files the benchmark names. Every path can be
// replaced in the config file (node.paths).
type Layout struct {
	// Name is "kubeadm", "rke2" or "k3s".
	Name string
	// Manifests is the static pod directory; the manifest of a component is
	// Manifests/<component>.yaml.
	Manifests string
	// PKI is the directory of the control plane's certificates and keys.
	PKI string
	// AdminConf is the administrator's kubeconfig (CIS 1.1.13).
	AdminConf string
	// SchedulerConf and ControllerManagerConf are those components' kubeconfigs, used
	// when their --kubeconfig flag does not name another.
	SchedulerConf, ControllerManagerConf string
	// KubeletKubeconfig and KubeletConfig are the kubelet's kubeconfig and config file,
	// used when its flags do not name others.
	KubeletKubeconfig, KubeletConfig string
	// KubeletService are the kubelet's systemd unit files; those that exist are checked.
	KubeletService []string
	// ProxyKubeconfig is kube-proxy's kubeconfig when its flags do not name one.
	ProxyKubeconfig string
	// EtcdDataDir is etcd's data directory when --data-dir is not given.
	EtcdDataDir string
	// CNI is the directory of CNI configuration files.
	CNI string
}

// Layouts are the layouts Moat knows, by name.
var Layouts = map[string]Layout{
	"kubeadm": {
		Name:                  "kubeadm",
		Manifests:             "/etc/kubernetes/manifests",
		PKI:                   "/etc/kubernetes/pki",
		AdminConf:             "/etc/kubernetes/admin.conf",
		SchedulerConf:         "/etc/kubernetes/scheduler.conf",
		ControllerManagerConf: "/etc/kubernetes/controller-manager.conf",
		KubeletKubeconfig:     "/etc/kubernetes/kubelet.conf",
		KubeletConfig:         "/var/lib/kubelet/config.yaml",
		KubeletService: []string{
			"/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
			"/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
			"/etc/systemd/system/kubelet.service",
			"/lib/systemd/system/kubelet.service",
			"/usr/lib/systemd/system/kubelet.service",
		},
		ProxyKubeconfig: "/var/lib/kube-proxy/kubeconfig.conf",
		EtcdDataDir:     "/var/lib/etcd",
		CNI:             "/etc/cni/net.d",
	},
	"rke2": {
		Name:                  "rke2",
		Manifests:             "/var/lib/rancher/rke2/agent/pod-manifests",
		PKI:                   "/var/lib/rancher/rke2/server/tls",
		AdminConf:             "/etc/rancher/rke2/rke2.yaml",
		SchedulerConf:         "/var/lib/rancher/rke2/server/cred/scheduler.kubeconfig",
		ControllerManagerConf: "/var/lib/rancher/rke2/server/cred/controller.kubeconfig",
		KubeletKubeconfig:     "/var/lib/rancher/rke2/agent/kubelet.kubeconfig",
		KubeletConfig:         "/var/lib/rancher/rke2/agent/etc/kubelet.conf.d/00-rke2-defaults.conf",
		KubeletService: []string{
			"/usr/local/lib/systemd/system/rke2-server.service",
			"/usr/local/lib/systemd/system/rke2-agent.service",
			"/usr/lib/systemd/system/rke2-server.service",
			"/usr/lib/systemd/system/rke2-agent.service",
		},
		ProxyKubeconfig: "/var/lib/rancher/rke2/agent/kubeproxy.kubeconfig",
		EtcdDataDir:     "/var/lib/rancher/rke2/server/db/etcd",
		CNI:             "/var/lib/rancher/rke2/agent/etc/cni/net.d",
	},
	"k3s": {
		Name:                  "k3s",
		Manifests:             "/var/lib/rancher/k3s/agent/pod-manifests",
		PKI:                   "/var/lib/rancher/k3s/server/tls",
		AdminConf:             "/etc/rancher/k3s/k3s.yaml",
		SchedulerConf:         "/var/lib/rancher/k3s/server/cred/scheduler.kubeconfig",
		ControllerManagerConf: "/var/lib/rancher/k3s/server/cred/controller.kubeconfig",
		KubeletKubeconfig:     "/var/lib/rancher/k3s/agent/kubelet.kubeconfig",
		KubeletConfig:         "/var/lib/rancher/k3s/agent/etc/kubelet.conf.d/00-k3s-defaults.conf",
		KubeletService: []string{
			"/etc/systemd/system/k3s.service",
			"/etc/systemd/system/k3s-agent.service",
		},
		ProxyKubeconfig: "/var/lib/rancher/k3s/agent/kubeproxy.kubeconfig",
		EtcdDataDir:     "/var/lib/rancher/k3s/server/db/etcd",
		CNI:             "/var/lib/rancher/k3s/agent/etc/cni/net.d",
	},
}

// markers are paths whose presence says which layout a machine uses, checked in order.
var markers = []struct{ layout, path string }{
	{"rke2", "/var/lib/rancher/rke2"},
	{"k3s", "/var/lib/rancher/k3s"},
}

// WithPaths returns l with the non-empty paths of p (the config file's node.paths) in
// place of its own.
func (l Layout) WithPaths(p Layout) Layout {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&l.Manifests, p.Manifests)
	set(&l.PKI, p.PKI)
	set(&l.AdminConf, p.AdminConf)
	set(&l.SchedulerConf, p.SchedulerConf)
	set(&l.ControllerManagerConf, p.ControllerManagerConf)
	set(&l.KubeletKubeconfig, p.KubeletKubeconfig)
	set(&l.KubeletConfig, p.KubeletConfig)
	set(&l.ProxyKubeconfig, p.ProxyKubeconfig)
	set(&l.EtcdDataDir, p.EtcdDataDir)
	set(&l.CNI, p.CNI)
	if len(p.KubeletService) > 0 {
		l.KubeletService = p.KubeletService
	}
	return l
}

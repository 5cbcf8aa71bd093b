package node

import (
	"bytes"
	"path/filepath"
	"strings"

	proxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	"sigs.k8s.io/yaml"
)

// readFiles examines every file the checks may ask about: the layout's files, those
// each component's flags and configuration name, and the PKI and CNI directories.
func (l *loader) readFiles() {
	lay := l.host.Layout
	for _, c := range l.host.Components {
		if c.Kind == Kubelet && !c.ArgsUnknown {
			c.Kubelet = l.buildKubelet(c)
		}
		if c.Kind == APIServer || c.Kind == ControllerManager || c.Kind == Scheduler || c.Kind == Etcd {
			l.stat(filepath.Join(lay.Manifests, c.Kind+".yaml"), false)
		}
		for _, name := range c.Flags.Names() {
			if !namesFile(name) {
				continue
			}
			for _, p := range splitList(c.Flags.Value(name)) {
				if filepath.IsAbs(p) {
					l.stat(p, readsContent(name))
				}
			}
		}
	}
	controlPlane := false
	for _, k := range []string{APIServer, ControllerManager, Scheduler, Etcd} {
		controlPlane = controlPlane || l.host.Component(k) != nil
	}
	if controlPlane {
		l.stat(lay.AdminConf, true)
		l.stat(filepath.Join(filepath.Dir(lay.AdminConf), "super-admin.conf"), true)
		l.stat(lay.SchedulerConf, true)
		l.stat(lay.ControllerManagerConf, true)
		l.walk(lay.PKI, isCertFile)
	}
	if etcd := l.host.Component(Etcd); etcd != nil {
		dir := etcd.Flags.Value("data-dir")
		if dir == "" {
			dir = lay.EtcdDataDir
		}
		l.stat(dir, false)
	}
	if k := l.host.Component(Kubelet); k != nil {
		for _, p := range lay.KubeletService {
			l.stat(p, false)
		}
		l.stat(l.kubeletKubeconfig(k), true)
		if kc := k.Kubelet; kc != nil {
			l.stat(kc.Authentication.X509.ClientCAFile, true)
			l.stat(kc.TLSCertFile, true)
			l.stat(kc.TLSPrivateKeyFile, false)
		}
		l.walk(lay.CNI, func(string) bool { return false })
	}
	if p := l.host.Component(KubeProxy); p != nil {
		l.stat(p.proxyKubeconfig(), true)
	} else if l.host.Component(Kubelet) != nil {
		l.stat(lay.ProxyKubeconfig, true)
	}
	if k := l.host.Component(Kubelet); k != nil {
		// The kubelet's own certificates (kubelet.crt, kubelet-client-current.pem).
		l.walk(k.Flags.Value("cert-dir"), isCertFile)
	}
	l.kubeconfigFiles()
}

// kubeconfigFiles examines the certificate files the kubeconfigs read so far name
// (client-certificate, certificate-authority), relative to the kubeconfig's directory.
func (l *loader) kubeconfigFiles() {
	for _, path := range sortedKeys(l.host.Files) {
		f := l.host.Files[path]
		if f.Content == nil || !bytes.Contains(f.Content, []byte("kind: Config")) {
			continue
		}
		var kc struct {
			Clusters []struct {
				Cluster struct {
					CA string `json:"certificate-authority"`
				} `json:"cluster"`
			} `json:"clusters"`
			Users []struct {
				User struct {
					Cert string `json:"client-certificate"`
				} `json:"user"`
			} `json:"users"`
		}
		if yaml.Unmarshal(f.Content, &kc) != nil {
			continue
		}
		var named []string
		for _, c := range kc.Clusters {
			named = append(named, c.Cluster.CA)
		}
		for _, u := range kc.Users {
			named = append(named, u.User.Cert)
		}
		for _, p := range named {
			if p == "" {
				continue
			}
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(path), p)
			}
			l.stat(p, true)
		}
	}
}

// kubeletKubeconfig is the kubelet's --kubeconfig, else the layout's.
func (l *loader) kubeletKubeconfig(k *Component) string {
	if v, ok := k.Flags.Lookup("kubeconfig"); ok && v != "" {
		return v
	}
	return l.host.Layout.KubeletKubeconfig
}

// proxyKubeconfig is kube-proxy's kubeconfig: clientConnection.kubeconfig of its --config
// file (read by Load before this is asked; kube-proxy then ignores --kubeconfig), else
// --kubeconfig, else the layout's.
func (c *Component) proxyKubeconfig() string {
	var cfg proxyv1alpha1.KubeProxyConfiguration
	if _, ok, err := configFile(c, "config", "KubeProxyConfiguration", &cfg); ok && err == nil {
		if cfg.ClientConnection.Kubeconfig != "" {
			return cfg.ClientConnection.Kubeconfig
		}
		return c.Host.Layout.ProxyKubeconfig
	}
	if v, ok := c.Flags.Lookup("kubeconfig"); ok && v != "" {
		return v
	}
	return c.Host.Layout.ProxyKubeconfig
}

// namesFile says whether a flag's value is a path of a file the checks may examine.
func namesFile(flag string) bool {
	for _, s := range []string{"-file", "-config", "kubeconfig", "-cafile", "-certfile", "-keyfile",
		"certificate-authority", "client-certificate", "client-key", "cert-dir", "config-dir"} {
		if strings.HasSuffix(flag, s) {
			return true
		}
	}
	return flag == "config"
}

// readsContent says whether the checks read the content of a file a flag names: they
// read configuration files and certificates, and never keep a private key's bytes
// (Load drops them even when a key sits where a certificate was expected).
func readsContent(flag string) bool {
	return !strings.Contains(flag, "key") && !strings.HasSuffix(flag, "-dir") && flag != "token-auth-file"
}

// isCertFile says whether a file beneath the PKI directory is read: certificates are,
// keys are not.
func isCertFile(p string) bool {
	return strings.HasSuffix(p, ".crt") || strings.HasSuffix(p, ".pem") || strings.HasSuffix(p, ".cert")
}

package node

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ConfigSection is the node: section of the config file:
//
//	node:
//	  layout: rke2            # kubeadm, rke2 or k3s; default: detected
//	  paths:                  # any path of the layout
//	    manifests: /etc/kubernetes/manifests
//	    pki: /etc/kubernetes/pki
//	    kubeletConfig: /var/lib/kubelet/config.yaml
type ConfigSection struct {
	Layout string
	Paths  Layout
}

// parseConfigYAML reads a node: section given as YAML text.
func parseConfigYAML(data []byte) (ConfigSection, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return ConfigSection{}, err
	}
	if len(n.Content) == 0 {
		return ConfigSection{}, nil
	}
	return ParseConfig(n.Content[0], "fixture")
}

// ParseConfig reads the node: section; file names the config file in errors.
func ParseConfig(n *yaml.Node, file string) (ConfigSection, error) {
	var out ConfigSection
	if n == nil || n.Tag == "!!null" {
		return out, nil
	}
	var raw struct {
		Layout string `yaml:"layout"`
		Paths  struct {
			Manifests             string   `yaml:"manifests"`
			PKI                   string   `yaml:"pki"`
			AdminConf             string   `yaml:"adminConf"`
			SchedulerConf         string   `yaml:"schedulerConf"`
			ControllerManagerConf string   `yaml:"controllerManagerConf"`
			KubeletKubeconfig     string   `yaml:"kubeletKubeconfig"`
			KubeletConfig         string   `yaml:"kubeletConfig"`
			KubeletService        []string `yaml:"kubeletService"`
			ProxyKubeconfig       string   `yaml:"proxyKubeconfig"`
			EtcdDataDir           string   `yaml:"etcdDataDir"`
			CNI                   string   `yaml:"cni"`
		} `yaml:"paths"`
	}
	// Unknown keys are errors: a misspelt path would otherwise be ignored and its
	// default checked instead, without a word.
	if err := knownKeys(n, "node", file, []string{"layout", "paths"}); err != nil {
		return out, err
	}
	if paths := lookup(n, "paths"); paths != nil && paths.Tag != "!!null" {
		if err := knownKeys(paths, "node.paths", file, pathKeys); err != nil {
			return out, err
		}
	}
	if err := n.Decode(&raw); err != nil {
		return out, fmt.Errorf("%s:%d: node: %v", file, n.Line, err)
	}
	if _, ok := Layouts[raw.Layout]; raw.Layout != "" && !ok {
		return out, fmt.Errorf("%s:%d: node.layout: %q is not one of kubeadm, rke2, k3s", file, n.Line, raw.Layout)
	}
	p := raw.Paths
	out.Layout = raw.Layout
	out.Paths = Layout{Manifests: p.Manifests, PKI: p.PKI, AdminConf: p.AdminConf, SchedulerConf: p.SchedulerConf,
		ControllerManagerConf: p.ControllerManagerConf, KubeletKubeconfig: p.KubeletKubeconfig, KubeletConfig: p.KubeletConfig,
		KubeletService: p.KubeletService, ProxyKubeconfig: p.ProxyKubeconfig, EtcdDataDir: p.EtcdDataDir, CNI: p.CNI}
	return out, nil
}

// pathKeys are the keys of node.paths.
var pathKeys = []string{"manifests", "pki", "adminConf", "schedulerConf", "controllerManagerConf", "kubeletKubeconfig",
	"kubeletConfig", "kubeletService", "proxyKubeconfig", "etcdDataDir", "cni"}

// knownKeys fails on a key of mapping n that is not in keys, naming its line.
func knownKeys(n *yaml.Node, field, file string, keys []string) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: %s: want a mapping", file, n.Line, field)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(keys, k.Value) {
			return fmt.Errorf("%s:%d: %s.%s: unknown field (want one of %s)", file, k.Line, field, k.Value, strings.Join(keys, ", "))
		}
	}
	return nil
}

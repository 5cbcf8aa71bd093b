package node

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/node/componentdata"
)

// mirrorAnnotation marks the API's copy of a static pod (the kubelet's mirror pod).
const mirrorAnnotation = "kubernetes.io/config.mirror"

// FromCluster makes the node components that a live cluster shows without node access:
// the control plane's static pods, whose mirror pods in kube-system carry their command
// lines, and the kubelets' configurations read from /configz (configz, by node name;
// nil when not asked for). Their files are not examined (a Host without files): the
// rules that need them do not run, and warnings say so.
func FromCluster(objs []*inventory.Object, configz map[string][]byte, release *componentdata.Release) (comps []*inventory.Object, warnings []string) {
	if release == nil {
		release = componentdata.Latest()
	}
	hosts := map[string]*Host{}
	host := func(name string) *Host {
		if h, ok := hosts[name]; ok {
			return h
		}
		h := &Host{Name: name, Release: release}
		hosts[name] = h
		return h
	}
	for _, o := range objs {
		pod, ok := o.Obj.(*corev1.Pod)
		if !ok || pod.Namespace != metav1.NamespaceSystem || pod.Annotations[mirrorAnnotation] == "" || len(pod.Spec.Containers) == 0 {
			continue
		}
		ctr := pod.Spec.Containers[0]
		argv := append(slices.Clone(ctr.Command), ctr.Args...)
		kind := componentOf(argv)
		if kind == "" || pod.Spec.NodeName == "" {
			continue
		}
		h := host(pod.Spec.NodeName)
		if h.Component(kind) != nil {
			continue
		}
		c := &Component{Kind: kind, Args: argv[1:], Host: h}
		if kind == Etcd {
			env := map[string]string{}
			for _, e := range ctr.Env {
				if strings.HasPrefix(e.Name, "ETCD_") && e.ValueFrom == nil {
					env[e.Name] = e.Value
				}
			}
			c.Flags, _ = etcdSettings(c.Args, nil, env, func(string) ([]byte, error) {
				return nil, fmt.Errorf("not readable through the API")
			})
		} else {
			c.Flags = parseFlags(kubeSpec(release, kind), c.Args, nil, false)
		}
		h.Components = append(h.Components, c)
	}
	for _, name := range sortedKeys(configz) {
		h := host(name)
		k, err := kubeletFromConfigz(configz[name])
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("node %s: /configz: %v", name, err))
			continue
		}
		h.Components = append(h.Components, &Component{Kind: Kubelet, Host: h, Kubelet: k, ArgsUnknown: true,
			Flags: parseFlags(kubeSpec(release, Kubelet), nil, nil, false)})
	}
	for _, name := range sortedKeys(hosts) {
		h := hosts[name]
		inv := h.Inventory()
		comps = append(comps, inv.Objects...)
	}
	if len(comps) > 0 {
		warnings = append(warnings, "node components read through the API: their files (modes, owners, certificates, encryption and audit configuration) are not examined; run moat node on each node for those")
	}
	return comps, warnings
}

// kubeletFromConfigz reads the kubelet's /configz answer: {"kubeletconfig": {...}},
// its effective configuration.
func kubeletFromConfigz(data []byte) (*KubeletConfig, error) {
	var doc struct {
		KubeletConfig json.RawMessage `json:"kubeletconfig"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.KubeletConfig) == 0 {
		return nil, fmt.Errorf("no kubeletconfig in the answer")
	}
	k := &KubeletConfig{origin: map[string]string{}, lines: map[string]map[string]int{}, fromConfigz: true}
	if err := json.Unmarshal(doc.KubeletConfig, &k.KubeletConfiguration); err != nil {
		return nil, err
	}
	return k, nil
}

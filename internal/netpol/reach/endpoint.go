package reach

import (
	"net/netip"

	"k8s.io/apimachinery/pkg/labels"
)

// EndpointInfo is what a Cilium or Calico selector sees of an endpoint: a pod (its
// namespace and the namespace's labels, its labels and service account, and, read
// from a cluster, its IPs) or a range of addresses outside the cluster.
type EndpointInfo struct {
	// Pod is false for an outside range.
	Pod                  bool
	Namespace            string
	NamespaceLabels      labels.Set
	Labels               labels.Set
	ServiceAccount       string
	ServiceAccountLabels labels.Set
	// IPs are the pod's IPs when read from a cluster.
	IPs []netip.Addr
	// Range is the outside range.
	Range netip.Prefix

	cilium, calico, calicoNS, calicoSA labels.Set // label views, built on first use
}

// InNets reports an endpoint with an address in one of nets: a pod whose IP is known
// and inside one, or an outside range inside one (the partition keeps every range of
// the graph whole with respect to every CIDR a policy names).
func (e *EndpointInfo) InNets(nets []netip.Prefix) bool {
	if e.Pod {
		for _, ip := range e.IPs {
			for _, n := range nets {
				if n.Contains(ip) {
					return true
				}
			}
		}
		return false
	}
	for _, n := range nets {
		if n.Contains(e.Range.Addr()) {
			return true
		}
	}
	return false
}

// The labels Cilium gives a pod besides its own.
const (
	ciliumNamespaceLabel  = "io.kubernetes.pod.namespace"
	ciliumNSLabelsPrefix  = "io.cilium.k8s.namespace.labels."
	ciliumSALabel         = "io.cilium.k8s.policy.serviceaccount"
	ciliumClusterLabel    = "io.cilium.k8s.policy.cluster"
	ciliumDefaultCluster  = "default"
	calicoNamespaceLabel  = "projectcalico.org/namespace"
	calicoOrchestrator    = "projectcalico.org/orchestrator"
	calicoSALabel         = "projectcalico.org/serviceaccount"
	calicoNameLabel       = "projectcalico.org/name"
	calicoNSProfilePrefix = "pcns."
	calicoSAProfilePrefix = "pcsa."
)

// ciliumLabels is the pod as Cilium's endpoint selectors see it: its labels, its
// namespace (io.kubernetes.pod.namespace), the namespace's labels
// (io.cilium.k8s.namespace.labels.KEY), its service account and the cluster name.
func (e *EndpointInfo) ciliumLabels() labels.Set {
	if e.cilium == nil {
		l := make(labels.Set, len(e.Labels)+len(e.NamespaceLabels)+3)
		for k, v := range e.Labels {
			l[k] = v
		}
		for k, v := range e.NamespaceLabels {
			l[ciliumNSLabelsPrefix+k] = v
		}
		l[ciliumNamespaceLabel] = e.Namespace
		l[ciliumSALabel] = e.ServiceAccount
		l[ciliumClusterLabel] = ciliumDefaultCluster
		e.cilium = l
	}
	return e.cilium
}

// calicoLabels is the pod as Calico's selectors see it: its labels, the labels Calico
// adds (projectcalico.org/namespace, orchestrator, serviceaccount), and the labels it
// inherits from its namespace's and service account's profiles (pcns.KEY, pcsa.KEY).
func (e *EndpointInfo) calicoLabels() labels.Set {
	if e.calico == nil {
		l := make(labels.Set, len(e.Labels)+len(e.NamespaceLabels)+len(e.ServiceAccountLabels)+5)
		for k, v := range e.NamespaceLabels {
			l[calicoNSProfilePrefix+k] = v
		}
		l[calicoNSProfilePrefix+calicoNameLabel] = e.Namespace
		for k, v := range e.ServiceAccountLabels {
			l[calicoSAProfilePrefix+k] = v
		}
		l[calicoSAProfilePrefix+calicoNameLabel] = e.ServiceAccount
		for k, v := range e.Labels {
			l[k] = v
		}
		l[calicoNamespaceLabel] = e.Namespace
		l[calicoOrchestrator] = "k8s"
		l[calicoSALabel] = e.ServiceAccount
		e.calico = l
	}
	return e.calico
}

// calicoNamespaceLabels is the pod's namespace as a Calico namespaceSelector sees it.
func (e *EndpointInfo) calicoNamespaceLabels() labels.Set {
	if e.calicoNS == nil {
		e.calicoNS = calicoNSView(e.Namespace, e.NamespaceLabels)
	}
	return e.calicoNS
}

func calicoNSView(ns string, nsLabels map[string]string) labels.Set {
	l := make(labels.Set, len(nsLabels)+1)
	for k, v := range nsLabels {
		l[k] = v
	}
	l[calicoNameLabel] = ns
	return l
}

// calicoSALabels is the pod's service account as a Calico serviceAccountSelector sees it.
func (e *EndpointInfo) calicoSALabels() labels.Set {
	if e.calicoSA == nil {
		l := make(labels.Set, len(e.ServiceAccountLabels)+1)
		for k, v := range e.ServiceAccountLabels {
			l[k] = v
		}
		l[calicoNameLabel] = e.ServiceAccount
		e.calicoSA = l
	}
	return e.calicoSA
}

package reach

import (
	"encoding/json"
	"fmt"
	"net/netip"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/moat-dev/moat/internal/inventory"
)

// AdminGroup is the API group of AdminNetworkPolicy and BaselineAdminNetworkPolicy
// (sigs.k8s.io/network-policy-api, version v1alpha1).
const AdminGroup = "policy.networking.k8s.io"

// Action is what an admin policy rule does with the traffic it matches.
type Action string

const (
	Allow Action = "Allow"
	Deny  Action = "Deny"
	// Pass hands the traffic to the NetworkPolicies (AdminNetworkPolicy), or to the
	// next tier (Calico).
	Pass Action = "Pass"
	// Log decides nothing: evaluation goes on with the next rule (Calico).
	Log Action = "Log"
)

// AdminPolicy is an AdminNetworkPolicy or a BaselineAdminNetworkPolicy.
type AdminPolicy struct {
	Name     string
	Baseline bool
	// Priority orders AdminNetworkPolicies: lower numbers are evaluated first.
	Priority int
	Subject  AdminSubject
	Ingress  []*AdminRule
	Egress   []*AdminRule
	Obj      *inventory.Object
}

// Kind is "AdminNetworkPolicy" or "BaselineAdminNetworkPolicy".
func (p *AdminPolicy) Kind() string {
	if p.Baseline {
		return "BaselineAdminNetworkPolicy"
	}
	return "AdminNetworkPolicy"
}

// AdminSubject selects the pods a policy applies to: every pod of the namespaces, or
// the pods that Pod selects in them.
type AdminSubject struct {
	Namespace labels.Selector
	Pod       labels.Selector // nil: every pod of the namespaces
}

// AdminRule is one ingress or egress rule; within a policy the first matching rule decides.
type AdminRule struct {
	Index  int
	Name   string
	Action Action
	Peers  []AdminPeer
	Ports  PortSpecs
}

// AdminPeer is one entry of from/to: namespaces, pods, or (egress) networks. A nodes
// peer is kept with Nodes set and matches nothing: Moat has no nodes in its graph.
type AdminPeer struct {
	Namespace labels.Selector
	Pod       labels.Selector // nil: every pod of the namespaces
	Networks  []netip.Prefix
	Nodes     bool
}

// The wire forms, after sigs.k8s.io/network-policy-api/apis/v1alpha1.
type anpObject struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Priority *int       `json:"priority"`
		Subject  anpSubject `json:"subject"`
		Ingress  []anpRule  `json:"ingress"`
		Egress   []anpRule  `json:"egress"`
	} `json:"spec"`
}

type anpPods struct {
	NamespaceSelector metav1.LabelSelector `json:"namespaceSelector"`
	PodSelector       metav1.LabelSelector `json:"podSelector"`
}

type anpSubject struct {
	Namespaces *metav1.LabelSelector `json:"namespaces"`
	Pods       *anpPods              `json:"pods"`
}

type anpPeer struct {
	Namespaces *metav1.LabelSelector `json:"namespaces"`
	Pods       *anpPods              `json:"pods"`
	Nodes      *metav1.LabelSelector `json:"nodes"`
	Networks   []string              `json:"networks"`
}

type anpPort struct {
	PortNumber *struct {
		Protocol string `json:"protocol"`
		Port     int32  `json:"port"`
	} `json:"portNumber"`
	NamedPort *string `json:"namedPort"`
	PortRange *struct {
		Protocol string `json:"protocol"`
		Start    int32  `json:"start"`
		End      int32  `json:"end"`
	} `json:"portRange"`
}

type anpRule struct {
	Name   string     `json:"name"`
	Action string     `json:"action"`
	From   []anpPeer  `json:"from"`
	To     []anpPeer  `json:"to"`
	Ports  *[]anpPort `json:"ports"`
}

// ParseAdminObject reads an AdminNetworkPolicy or BaselineAdminNetworkPolicy from the
// inventory (an unstructured object).
func ParseAdminObject(o *inventory.Object) (*AdminPolicy, error) {
	u, ok := o.Obj.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("not an unstructured object")
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, err
	}
	p, err := ParseAdmin(data, o.Kind() == "BaselineAdminNetworkPolicy")
	if err != nil {
		return nil, err
	}
	p.Obj = o
	return p, nil
}

// ParseAdmin reads the JSON of an AdminNetworkPolicy (baseline false) or a
// BaselineAdminNetworkPolicy (baseline true).
func ParseAdmin(data []byte, baseline bool) (*AdminPolicy, error) {
	var w anpObject
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	p := &AdminPolicy{Name: w.Metadata.Name, Baseline: baseline}
	if !baseline {
		if w.Spec.Priority == nil {
			return nil, fmt.Errorf("spec.priority is required")
		}
		if *w.Spec.Priority < 0 || *w.Spec.Priority > 1000 {
			return nil, fmt.Errorf("spec.priority %d out of range 0-1000", *w.Spec.Priority)
		}
		p.Priority = *w.Spec.Priority
	}
	var err error
	switch s := w.Spec.Subject; {
	case s.Namespaces != nil && s.Pods != nil:
		return nil, fmt.Errorf("spec.subject: set namespaces or pods, not both")
	case s.Namespaces != nil:
		if p.Subject.Namespace, err = metav1.LabelSelectorAsSelector(s.Namespaces); err != nil {
			return nil, fmt.Errorf("spec.subject.namespaces: %w", err)
		}
	case s.Pods != nil:
		if p.Subject.Namespace, p.Subject.Pod, err = podsSelectors(s.Pods); err != nil {
			return nil, fmt.Errorf("spec.subject.pods: %w", err)
		}
	default:
		return nil, fmt.Errorf("spec.subject: set namespaces or pods")
	}
	if len(w.Spec.Ingress) > 100 || len(w.Spec.Egress) > 100 {
		return nil, fmt.Errorf("at most 100 ingress and 100 egress rules")
	}
	for i, r := range w.Spec.Ingress {
		ar, err := parseAdminRule(i, r, r.From, baseline, false)
		if err != nil {
			return nil, fmt.Errorf("spec.ingress[%d]: %w", i, err)
		}
		p.Ingress = append(p.Ingress, ar)
	}
	for i, r := range w.Spec.Egress {
		ar, err := parseAdminRule(i, r, r.To, baseline, true)
		if err != nil {
			return nil, fmt.Errorf("spec.egress[%d]: %w", i, err)
		}
		p.Egress = append(p.Egress, ar)
	}
	return p, nil
}

func podsSelectors(p *anpPods) (labels.Selector, labels.Selector, error) {
	ns, err := metav1.LabelSelectorAsSelector(&p.NamespaceSelector)
	if err != nil {
		return nil, nil, fmt.Errorf("namespaceSelector: %w", err)
	}
	pod, err := metav1.LabelSelectorAsSelector(&p.PodSelector)
	if err != nil {
		return nil, nil, fmt.Errorf("podSelector: %w", err)
	}
	return ns, pod, nil
}

func parseAdminRule(i int, r anpRule, peers []anpPeer, baseline, egress bool) (*AdminRule, error) {
	ar := &AdminRule{Index: i, Name: r.Name, Action: Action(r.Action)}
	switch ar.Action {
	case Allow, Deny:
	case Pass:
		if baseline {
			return nil, fmt.Errorf("action Pass is not allowed in a BaselineAdminNetworkPolicy")
		}
	default:
		return nil, fmt.Errorf("action %q (want Allow, Deny or Pass)", r.Action)
	}
	if len(peers) == 0 {
		return nil, fmt.Errorf("at least one peer is required")
	}
	for j, pe := range peers {
		var ap AdminPeer
		n := 0
		var err error
		if pe.Namespaces != nil {
			n++
			if ap.Namespace, err = metav1.LabelSelectorAsSelector(pe.Namespaces); err != nil {
				return nil, fmt.Errorf("peer %d: namespaces: %w", j, err)
			}
		}
		if pe.Pods != nil {
			n++
			if ap.Namespace, ap.Pod, err = podsSelectors(pe.Pods); err != nil {
				return nil, fmt.Errorf("peer %d: pods: %w", j, err)
			}
		}
		if pe.Nodes != nil {
			n++
			if !egress {
				return nil, fmt.Errorf("peer %d: nodes is an egress peer", j)
			}
			ap.Nodes = true
		}
		if pe.Networks != nil {
			n++
			if !egress {
				return nil, fmt.Errorf("peer %d: networks is an egress peer", j)
			}
			if len(pe.Networks) == 0 || len(pe.Networks) > 25 {
				return nil, fmt.Errorf("peer %d: networks needs 1 to 25 CIDRs", j)
			}
			for _, c := range pe.Networks {
				pfx, err := netip.ParsePrefix(c)
				if err != nil {
					return nil, fmt.Errorf("peer %d: networks: %w", j, err)
				}
				ap.Networks = append(ap.Networks, pfx.Masked())
			}
		}
		if n != 1 {
			return nil, fmt.Errorf("peer %d: set exactly one of namespaces, pods, nodes, networks", j)
		}
		ar.Peers = append(ar.Peers, ap)
	}
	if r.Ports != nil {
		ar.Ports = PortSpecs{}
		for j, pt := range *r.Ports {
			var ps PortSpec
			n := 0
			var err error
			if pt.PortNumber != nil {
				n++
				if ps.Protocol, err = ParseProtocol(pt.PortNumber.Protocol); err != nil {
					return nil, fmt.Errorf("ports[%d]: %w", j, err)
				}
				ps.Port = pt.PortNumber.Port
			}
			if pt.NamedPort != nil {
				n++
				ps.Named, ps.AnyProtocol = *pt.NamedPort, true
				if ps.Named == "" {
					return nil, fmt.Errorf("ports[%d]: empty namedPort", j)
				}
			}
			if pt.PortRange != nil {
				n++
				if ps.Protocol, err = ParseProtocol(pt.PortRange.Protocol); err != nil {
					return nil, fmt.Errorf("ports[%d]: %w", j, err)
				}
				ps.Port, ps.End = pt.PortRange.Start, pt.PortRange.End
				if ps.End < ps.Port {
					return nil, fmt.Errorf("ports[%d]: portRange end %d before start %d", j, ps.End, ps.Port)
				}
			}
			if n != 1 {
				return nil, fmt.Errorf("ports[%d]: set exactly one of portNumber, namedPort, portRange", j)
			}
			if ps.Named == "" && (ps.Port < MinPort || ps.Port > MaxPort || ps.End > MaxPort) {
				return nil, fmt.Errorf("ports[%d]: port out of range 1-65535", j)
			}
			ar.Ports = append(ar.Ports, ps)
		}
	}
	return ar, nil
}

package reach

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"

	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/inventory"
)

func isCalico(group string) bool {
	for _, g := range CalicoGroups {
		if group == g {
			return true
		}
	}
	return false
}

// addForeign adds to the model the Cilium and Calico policies of the inventory, and
// what Calico's selectors read besides pods: Tiers, NetworkSets, ServiceAccounts and
// Services. A policy that does not parse is left out (Model.Skipped): it isolates
// nothing and allows nothing.
func (m *Model) addForeign(inv *inventory.Inventory, addNS func(string)) {
	m.Tiers = map[string]Tier{}
	m.ServiceAccounts = map[string]map[string]string{}
	m.Services = map[string]map[string]string{}
	for _, o := range inv.Kind("ServiceAccount") {
		if sa, ok := o.Obj.(*corev1.ServiceAccount); ok {
			m.ServiceAccounts[o.EffectiveNamespace()+"/"+sa.Name] = sa.Labels
		}
	}
	for _, o := range inv.Kind("Service") {
		if svc, ok := o.Obj.(*corev1.Service); ok && len(svc.Spec.Selector) > 0 {
			m.Services[o.EffectiveNamespace()+"/"+svc.Name] = svc.Spec.Selector
		}
	}
	var policies []*inventory.Object
	for _, o := range inv.Objects {
		switch {
		case o.GVK.Group == CiliumGroup && (o.Kind() == "CiliumNetworkPolicy" || o.Kind() == "CiliumClusterwideNetworkPolicy"):
			policies = append(policies, o)
		case isCalico(o.GVK.Group):
			switch o.Kind() {
			case "NetworkPolicy", "GlobalNetworkPolicy":
				policies = append(policies, o)
			case "Tier":
				var w calicoTierObject
				data, err := unstructuredJSON(o)
				if err == nil {
					err = json.Unmarshal(data, &w)
				}
				if err != nil {
					m.Warnings = append(m.Warnings, fmt.Sprintf("Tier %s left out: %v", o.Name(), err))
					continue
				}
				t := Tier{Name: o.Name(), PassByDefault: w.Spec.DefaultAction == "Pass"}
				if w.Spec.Order != nil {
					t.Order = *w.Spec.Order
				} else {
					t.Unordered, t.Order = true, math.Inf(1)
				}
				m.Tiers[t.Name] = t
			case "NetworkSet", "GlobalNetworkSet":
				var w calicoNetworkSetObject
				data, err := unstructuredJSON(o)
				if err == nil {
					err = json.Unmarshal(data, &w)
				}
				var nets []netip.Prefix
				if err == nil {
					nets, err = parsePrefixes(w.Spec.Nets)
				}
				if err != nil {
					m.Warnings = append(m.Warnings, fmt.Sprintf("%s %s left out: %v", o.Kind(), o.Name(), err))
					continue
				}
				ns := ""
				if o.Kind() == "NetworkSet" {
					ns = o.EffectiveNamespace()
				}
				m.NetworkSets = append(m.NetworkSets, NetworkSet{Namespace: ns, Name: o.Name(), Labels: o.Meta.GetLabels(), Nets: nets})
			}
		}
	}
	for _, o := range policies {
		kind := o.Kind()
		ns := ""
		if kind == "CiliumNetworkPolicy" || kind == "NetworkPolicy" {
			ns = o.EffectiveNamespace()
			addNS(ns)
		}
		data, err := unstructuredJSON(o)
		if err != nil {
			m.skip(o, ns, err)
			continue
		}
		if o.GVK.Group == CiliumGroup {
			ps, skipped, err := parseCilium(data, kind, ns, o.Name(), o)
			if err != nil {
				m.skip(o, ns, err)
				continue
			}
			for _, s := range skipped {
				m.Warnings = append(m.Warnings, fmt.Sprintf("%s %s: %s", kind, o.Name(), s))
			}
			m.Policies = append(m.Policies, ps...)
			continue
		}
		p, err := parseCalico(m, data, kind, ns, o.Name(), o)
		if err != nil {
			m.skip(o, ns, err)
			continue
		}
		m.Policies = append(m.Policies, p)
	}
}

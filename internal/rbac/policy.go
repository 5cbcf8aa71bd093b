package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rbac/authz"
)

// PolicyOf builds the authorizer's view of every Role, ClusterRole, RoleBinding and
// ClusterRoleBinding of the inventory, of any RBAC API version. Each authz.Role and
// authz.Binding carries its *inventory.Object as Source. Namespaced objects written
// without a namespace land in "default", as kubectl apply would put them.
//
// The ClusterRole cluster-admin is always there, as in every cluster (the API server
// creates and restores it): when the inventory holds none, the bootstrap policy's
// (every verb on every resource and non-resource URL) is added, with no Source, so
// that manifests binding it are answered as the cluster would. The other built-in
// roles (admin, edit, view, system:*) are only known when the inventory holds them.
func PolicyOf(inv *inventory.Inventory) *authz.Policy {
	roles, bindings := policyObjects(inv)
	hasAdmin := false
	for _, r := range roles {
		hasAdmin = hasAdmin || (r.Kind == "ClusterRole" && r.Name == ClusterAdmin)
	}
	if !hasAdmin {
		roles = append(roles, &authz.Role{Kind: "ClusterRole", Name: ClusterAdmin, Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
			{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
		}})
	}
	return authz.New(roles, bindings)
}

func policyObjects(inv *inventory.Inventory) ([]*authz.Role, []*authz.Binding) {
	var roles []*authz.Role
	var bindings []*authz.Binding
	for _, kind := range []string{"ClusterRole", "Role"} {
		for _, o := range inv.Kind(kind) {
			if o.GVK.Group != Group {
				continue
			}
			r := &authz.Role{Kind: kind, Name: o.Name(), Labels: o.Meta.GetLabels(), Source: o}
			if kind == "Role" {
				r.Namespace = o.EffectiveNamespace()
				v, ok := convert[rbacv1.Role](o)
				if !ok {
					continue
				}
				r.Rules = v.Rules
			} else {
				v, ok := convert[rbacv1.ClusterRole](o)
				if !ok {
					continue
				}
				r.Rules, r.Aggregation = v.Rules, v.AggregationRule
			}
			roles = append(roles, r)
		}
	}
	for _, kind := range []string{"ClusterRoleBinding", "RoleBinding"} {
		for _, o := range inv.Kind(kind) {
			b, ok := BindingOf(o)
			if !ok {
				continue
			}
			ab := &authz.Binding{Kind: kind, Name: o.Name(), RoleRef: b.RoleRef, Source: o}
			if kind == "RoleBinding" {
				ab.Namespace = o.EffectiveNamespace()
			}
			for _, s := range b.Subjects {
				ab.Subjects = append(ab.Subjects, s.Subject)
			}
			bindings = append(bindings, ab)
		}
	}
	return roles, bindings
}

// SourceObject returns the inventory object an authz Role or Binding was built from.
func SourceObject(src any) *inventory.Object {
	o, _ := src.(*inventory.Object)
	return o
}

package rbac

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rbac/authz"
	"github.com/moat-dev/moat/internal/rule"
)

// PolicyOf builds the authorizer's view of every Role, ClusterRole, RoleBinding and
// ClusterRoleBinding of the inventory, of any RBAC API version, and of the bootstrap
// policy of the target Kubernetes release (inv.Builtin, for a file scan). Namespaced
// objects written without a namespace land in "default", as kubectl apply would put them.
//
// The scanned objects come first: a built-in object of the same kind, namespace and
// name is left out, as applying the user's would replace it. Aggregation runs over both
// (authz.New), so a user's ClusterRole labelled aggregate-to-edit extends the built-in
// edit, as the controller manager would. Each authz.Role and authz.Binding carries
// its scanned *inventory.Object as Source, or a Builtin for a built-in one, so that
// SourceObject returns nil for it and no rule reports on it.
//
// The ClusterRole cluster-admin is always there, as in every cluster (the API server
// creates and restores it): when neither the scan nor the built-in objects hold it, the
// bootstrap policy's (every verb on every resource and non-resource URL) is added, with
// no Source, so that manifests binding it are answered as the cluster would.
func PolicyOf(inv *inventory.Inventory) *authz.Policy {
	var c collector
	c.seen = map[policyKey]bool{}
	for _, kind := range []string{"ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"} {
		for _, o := range inv.Kind(kind) {
			c.add(o, o)
		}
	}
	for _, o := range inv.Builtin {
		c.add(o, Builtin{o})
	}
	hasAdmin := false
	for _, r := range c.roles {
		hasAdmin = hasAdmin || (r.Kind == "ClusterRole" && r.Name == ClusterAdmin)
	}
	if !hasAdmin {
		c.roles = append(c.roles, &authz.Role{Kind: "ClusterRole", Name: ClusterAdmin, Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
			{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
		}})
	}
	return authz.New(c.roles, c.bindings)
}

// scanPolicy is PolicyOf(c.Inventory), built once per evaluation however many rules
// ask for it (four inventory checks do): they only read it.
func scanPolicy(c *rule.Context) *authz.Policy {
	return c.Shared(scanPolicyKey{}, func() any { return PolicyOf(c.Inventory) }).(*authz.Policy)
}

type scanPolicyKey struct{}

// Builtin is the Source of a role or binding of the target release's bootstrap policy
// (inventory.Inventory.Builtin): known to every cluster, in none of the scanned files.
type Builtin struct{ *inventory.Object }

// SourceObject returns the scanned inventory object an authz Role or Binding was built
// from; nil for built-in ones (Builtin) and the implicit cluster-admin, which no rule
// reports on.
func SourceObject(src any) *inventory.Object {
	o, _ := src.(*inventory.Object)
	return o
}

// IsBuiltinSource reports a role or binding of the bootstrap policy that PolicyOf took
// from inv.Builtin: not the scanned files' own.
func IsBuiltinSource(src any) bool {
	_, ok := src.(Builtin)
	return ok
}

// policyKey identifies a role or binding: the same key in the scan and among the
// built-in objects is one object, the scan's.
type policyKey struct{ kind, namespace, name string }

// collector gathers roles and bindings, first definition of a key first.
type collector struct {
	roles    []*authz.Role
	bindings []*authz.Binding
	seen     map[policyKey]bool
}

// add reads o, if it is an RBAC object whose key is new, with src as its Source.
func (c *collector) add(o *inventory.Object, src any) {
	if o.GVK.Group != Group {
		return
	}
	kind := o.Kind()
	key := policyKey{kind: kind, name: o.Name()}
	if kind == "Role" || kind == "RoleBinding" {
		key.namespace = o.EffectiveNamespace()
	}
	if c.seen[key] {
		return
	}
	switch kind {
	case "Role":
		v, ok := convert[rbacv1.Role](o)
		if !ok {
			return
		}
		c.roles = append(c.roles, &authz.Role{Kind: kind, Namespace: key.namespace, Name: key.name, Labels: o.Meta.GetLabels(), Rules: v.Rules, Source: src})
	case "ClusterRole":
		v, ok := convert[rbacv1.ClusterRole](o)
		if !ok {
			return
		}
		c.roles = append(c.roles, &authz.Role{Kind: kind, Name: key.name, Labels: o.Meta.GetLabels(), Rules: v.Rules, Aggregation: v.AggregationRule, Source: src})
	case "RoleBinding", "ClusterRoleBinding":
		b, ok := BindingOf(o)
		if !ok {
			return
		}
		ab := &authz.Binding{Kind: kind, Namespace: key.namespace, Name: key.name, RoleRef: b.RoleRef, Source: src}
		for _, s := range b.Subjects {
			ab.Subjects = append(ab.Subjects, s.Subject)
		}
		c.bindings = append(c.bindings, ab)
	default:
		return
	}
	c.seen[key] = true
}

package cluster

import (
	"path/filepath"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/kubernetes/scheme"

	_ "github.com/moat-dev/moat/internal/catalog" // fills the rule registry
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// crdPlurals are the plurals that CRDs declare where the API machinery's guess is
// wrong (it makes "gatewaies" of Gateway).
var crdPlurals = map[schema.GroupKind]string{
	{Group: "gateway.networking.k8s.io", Kind: "Gateway"}: "gateways",
}

func TestKindsAreWellFormed(t *testing.T) {
	seen := map[schema.GroupVersionResource]bool{}
	for _, k := range Kinds() {
		t.Run(k.String(), func(t *testing.T) {
			if seen[k.GVR()] {
				t.Fatalf("%s is listed twice", k.GVR())
			}
			seen[k.GVR()] = true
			plural, _ := meta.UnsafeGuessKindToResource(k.GVK)
			if p, ok := crdPlurals[k.GVK.GroupKind()]; ok {
				plural.Resource = p
			}
			if plural.Resource != k.Resource {
				t.Errorf("resource %q, want the plural of %s, %q", k.Resource, k.GVK.Kind, plural.Resource)
			}
			if got := !inventory.IsClusterScoped(k.GVK.GroupKind()); got != k.Namespaced {
				t.Errorf("Namespaced = %v, but the inventory says namespaced = %v", k.Namespaced, got)
			}
			if k.Optional {
				return
			}
			// Built-in kinds are decoded into the client-go scheme's typed lists.
			if _, err := scheme.Scheme.New(k.GVK.GroupVersion().WithKind(k.GVK.Kind + "List")); err != nil {
				t.Errorf("the client-go scheme has no list type for %s: %v", k.GVK, err)
			}
		})
	}
}

// TestKindsCoverRules derives the needed kinds from the rules: every kind a registered
// rule names in its metadata must be listed, or a live scan silently misses it.
func TestKindsCoverRules(t *testing.T) {
	listed := sets.New[string]()
	for _, k := range Kinds() {
		listed.Insert(k.GVK.Kind)
	}
	notInClusters := map[string]string{
		"*":                   "any kind: the rule reads whatever is listed",
		exceptions.ConfigKind: "the exceptions file, not a cluster object",
	}
	for _, r := range rule.All() {
		for _, kind := range r.Kinds {
			if _, ok := notInClusters[kind]; ok {
				continue
			}
			if !listed.Has(kind) {
				t.Errorf("rule %s reads %s, which a cluster scan does not list", r.ID, kind)
			}
		}
	}
	for _, kind := range podspec.Kinds {
		if !listed.Has(kind) {
			t.Errorf("%s carries a pod spec but is not listed", kind)
		}
		if !carriesPods(kindNamed(t, kind)) {
			t.Errorf("%s carries a pod spec but the owned-object filter does not know it", kind)
		}
	}
}

func kindNamed(t *testing.T, name string) Kind {
	t.Helper()
	for _, k := range Kinds() {
		if k.GVK.Kind == name && !k.Optional {
			return k
		}
	}
	t.Fatalf("no kind %s", name)
	return Kind{}
}

// TestRBACManifestMatchesKinds keeps deploy/rbac.yaml the least a full scan needs: the
// ClusterRole grants "list", and only "list", on exactly the listed kinds.
func TestRBACManifestMatchesKinds(t *testing.T) {
	inv := inventory.Load([]string{filepath.Join("..", "..", "deploy", "rbac.yaml")}, inventory.Options{})
	if len(inv.Errors) > 0 {
		t.Fatal(inv.Errors)
	}
	roles := inv.Kind("ClusterRole")
	if len(roles) != 1 {
		t.Fatalf("deploy/rbac.yaml holds %d ClusterRoles, want 1", len(roles))
	}
	role := roles[0].Obj.(*rbacv1.ClusterRole)
	granted := sets.New[string]()
	for i, r := range role.Rules {
		if !slices.Equal(r.Verbs, []string{"list"}) {
			t.Errorf("rules[%d] grants verbs %q, want only \"list\"", i, r.Verbs)
		}
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("rules[%d] has resourceNames or nonResourceURLs", i)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				gr := schema.GroupResource{Group: g, Resource: res}.String()
				if granted.Has(gr) {
					t.Errorf("%s is granted twice", gr)
				}
				granted.Insert(gr)
			}
		}
	}
	needed := sets.New[string]()
	for _, k := range Kinds() {
		needed.Insert(k.GVR().GroupResource().String())
	}
	for _, gr := range sets.List(needed.Difference(granted)) {
		t.Errorf("the ClusterRole does not grant list on %s, which the scan lists", gr)
	}
	for _, gr := range sets.List(granted.Difference(needed)) {
		t.Errorf("the ClusterRole grants list on %s, which the scan never lists", gr)
	}

	bindings := inv.Kind("ClusterRoleBinding")
	if len(bindings) != 1 {
		t.Fatalf("deploy/rbac.yaml holds %d ClusterRoleBindings, want 1", len(bindings))
	}
	b := bindings[0].Obj.(*rbacv1.ClusterRoleBinding)
	wantSubject := rbacv1.Subject{Kind: "ServiceAccount", Name: "moat", Namespace: "moat-system"}
	if b.RoleRef.Kind != "ClusterRole" || b.RoleRef.Name != role.Name || !slices.Equal(b.Subjects, []rbacv1.Subject{wantSubject}) {
		t.Errorf("the binding binds %v to %v, want %v to ClusterRole %s", b.Subjects, b.RoleRef, wantSubject, role.Name)
	}
	if inv.Find("ServiceAccount", "moat-system", "moat") == nil {
		t.Error("deploy/rbac.yaml has no ServiceAccount moat-system/moat")
	}
}

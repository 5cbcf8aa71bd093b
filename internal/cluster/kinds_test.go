package cluster

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/kubernetes/scheme"

	_ "github.com/moat-dev/moat/internal/catalog" // fills the rule registry
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/image"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/node"
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
		image.Kind:            "an image, read from its registry (moat image scan), not a cluster object",
	}
	for _, c := range node.Kinds {
		// Made from the mirror pods (Pods are listed) and /configz, not listed.
		notInClusters[node.ObjectKind(c)] = "a node component, read from its mirror pod or /configz"
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
			continue
		}
		if !carriesPods(workloadNamed(t, kind)) {
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

// workloadNamed is the listed kind of that name whose objects carry a pod spec: the
// built-in kind, or the optional one whose template podspec finds (a Rollout of
// argoproj.io, not one of another group).
func workloadNamed(t *testing.T, name string) Kind {
	t.Helper()
	for _, k := range Kinds() {
		if k.GVK.Kind == name && (!k.Optional || slices.ContainsFunc(podspec.BuiltinTemplates, func(p podspec.TemplatePath) bool {
			return p.Group == k.GVK.Group && p.Kind == k.GVK.Kind
		})) {
			return k
		}
	}
	t.Fatalf("no workload kind %s", name)
	return Kind{}
}

// The pod controllers that are CRDs are listed only where the API server serves them,
// and the loads a NetworkPolicy analysis adds hold the owners of their pods.
func TestOptionalWorkloadKinds(t *testing.T) {
	tests := []struct {
		name  string
		gk    schema.GroupKind
		owner string // the kind the controller's pods belong to, read for reachability
	}{
		{"Argo Rollout", schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}, "ReplicaSet"},
		{"OpenShift DeploymentConfig", schema.GroupKind{Group: "apps.openshift.io", Kind: "DeploymentConfig"}, "ReplicationController"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := slices.IndexFunc(Kinds(), func(k Kind) bool { return k.GVK.GroupKind() == tt.gk })
			if i < 0 {
				t.Fatalf("%s is not listed", tt.gk)
			}
			if k := Kinds()[i]; !k.Optional || !carriesPods(k) {
				t.Errorf("%s: optional %v, carries pods %v; want both", tt.gk, k.Optional, carriesPods(k))
			}
			var reach []string
			for _, ks := range ReachabilityKinds() {
				for _, k := range ks {
					reach = append(reach, k.GVK.Kind)
				}
			}
			if !slices.Contains(reach, tt.owner) {
				t.Errorf("the reachability loads (%v) leave out %s, the owner of %s's pods", reach, tt.owner, tt.gk.Kind)
			}
		})
	}
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

// The ReplicaSets of a listed Rollout and the ReplicationControllers of a listed
// DeploymentConfig are left out as those of a Deployment are: the controller's pod
// template is checked instead, once.
func TestAssembleLeavesOutWhatOptionalControllersDescribe(t *testing.T) {
	optionalKind := func(group, kind string) Kind {
		for _, k := range Kinds() {
			if k.GVK.Group == group && k.GVK.Kind == kind {
				return k
			}
		}
		t.Fatalf("%s.%s is not listed", kind, group)
		return Kind{}
	}
	rollouts, dcs := optionalKind("argoproj.io", "Rollout"), optionalKind("apps.openshift.io", "DeploymentConfig")
	ks := []Kind{rollouts, dcs, kindNamed(t, "ReplicaSet"), kindNamed(t, "ReplicationController")}
	crd := func(k Kind, name, uid string) *inventory.Object {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(k.GVK)
		u.SetName(name)
		u.SetNamespace("shop")
		u.SetUID(types.UID(uid))
		return inventory.New(u, k.GVK, nil)
	}
	results := []listResult{
		{objs: []*inventory.Object{crd(rollouts, "checkout", "rollout-uid")}},
		{objs: []*inventory.Object{crd(dcs, "ledger", "dc-uid")}},
		{objs: []*inventory.Object{
			object(t, "ReplicaSet", &appsv1.ReplicaSet{ObjectMeta: om("checkout-1", "rs-1", controlledBy("rollout-uid"))}),
			object(t, "ReplicaSet", &appsv1.ReplicaSet{ObjectMeta: om("other-1", "rs-2", controlledBy("rollout-not-listed"))}),
		}},
		{objs: []*inventory.Object{
			object(t, "ReplicationController", &corev1.ReplicationController{ObjectMeta: om("ledger-1", "rc-1", controlledBy("dc-uid"))}),
		}},
	}
	inv, stats := assemble(ks, results)
	if got, want := names(inv.Objects), []string{"checkout", "ledger", "other-1"}; !slices.Equal(got, want) {
		t.Errorf("inventory %v, want %v", got, want)
	}
	if got := fmt.Sprint(stats.Owned); got != "map[ReplicaSet:1 ReplicationController:1]" {
		t.Errorf("owned %s", got)
	}
}

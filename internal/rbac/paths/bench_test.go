package paths

import (
	"fmt"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rbac"
	"github.com/moat-dev/moat/internal/rbac/authz"
)

// syntheticWorld is a seeded RBAC world of 20,000 Roles and ClusterRoles (18,000 Roles
// in 200 namespaces, 1,980 ClusterRoles, 20 of them aggregated) and 20,000 bindings
// (18,000 RoleBindings, 2,000 ClusterRoleBindings) over 5,000 users, 500 groups and
// 10,000 service accounts, with a sprinkling of risky rules.
func syntheticWorld() *inventory.Inventory {
	rng := rand.New(rand.NewPCG(7, 7))
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	resources := []string{"pods", "services", "configmaps", "deployments", "jobs", "ingresses", "secrets", "pods/exec", "serviceaccounts/token", "events", "endpoints"}
	groups := []string{"", "apps", "batch", "networking.k8s.io"}
	randRule := func() rbacv1.PolicyRule {
		r := rbacv1.PolicyRule{
			Verbs:     []string{verbs[rng.IntN(len(verbs))], verbs[rng.IntN(len(verbs))]},
			APIGroups: []string{groups[rng.IntN(len(groups))]},
			Resources: []string{resources[rng.IntN(len(resources))], resources[rng.IntN(len(resources))]},
		}
		if rng.IntN(5) == 0 {
			r.ResourceNames = []string{fmt.Sprintf("obj-%d", rng.IntN(100))}
		}
		return r
	}
	rules := func() []rbacv1.PolicyRule {
		out := make([]rbacv1.PolicyRule, 1+rng.IntN(4))
		for i := range out {
			out[i] = randRule()
		}
		return out
	}
	subject := func(ns string) rbacv1.Subject {
		switch rng.IntN(3) {
		case 0:
			return rbacv1.Subject{Kind: "User", APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("user-%d", rng.IntN(5000))}
		case 1:
			return rbacv1.Subject{Kind: "Group", APIGroup: rbacv1.GroupName, Name: fmt.Sprintf("group-%d", rng.IntN(500))}
		}
		if ns == "" {
			ns = fmt.Sprintf("ns-%d", rng.IntN(200))
		}
		return rbacv1.Subject{Kind: "ServiceAccount", Name: fmt.Sprintf("sa-%d", rng.IntN(50)), Namespace: ns}
	}
	gv := rbacv1.SchemeGroupVersion
	var objs []*inventory.Object
	for i := range 1980 {
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cr-%d", i), Labels: map[string]string{"agg": fmt.Sprint(i % 20)}}, Rules: rules()}
		if i == 5 {
			cr.Rules = append(cr.Rules, rbacv1.PolicyRule{Verbs: []string{"bind"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterroles"}},
				rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{rbacv1.GroupName}, Resources: []string{"clusterrolebindings"}})
		}
		objs = append(objs, inventory.New(cr, gv.WithKind("ClusterRole"), nil))
	}
	for i := range 20 {
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("agg-%d", i)}, AggregationRule: &rbacv1.AggregationRule{
			ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg": fmt.Sprint(i)}}}}}
		objs = append(objs, inventory.New(cr, gv.WithKind("ClusterRole"), nil))
	}
	for i := range 18000 {
		ns := fmt.Sprintf("ns-%d", i%200)
		r := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("role-%d", i), Namespace: ns}, Rules: rules()}
		objs = append(objs, inventory.New(r, gv.WithKind("Role"), nil))
	}
	for i := range 2000 {
		name := fmt.Sprintf("cr-%d", rng.IntN(1980))
		if i%100 == 0 {
			name = fmt.Sprintf("agg-%d", rng.IntN(20))
		}
		b := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("crb-%d", i)},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}, Subjects: []rbacv1.Subject{subject(""), subject("")}}
		objs = append(objs, inventory.New(b, gv.WithKind("ClusterRoleBinding"), nil))
	}
	for i := range 18000 {
		ns := fmt.Sprintf("ns-%d", i%200)
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("role-%d", (i/200)*200+i%200)}
		if rng.IntN(4) == 0 {
			ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("cr-%d", rng.IntN(1980))}
		}
		b := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rb-%d", i), Namespace: ns}, RoleRef: ref,
			Subjects: []rbacv1.Subject{subject(ns), subject(ns)}}
		objs = append(objs, inventory.New(b, gv.WithKind("RoleBinding"), nil))
	}
	for i := range 200 {
		for j := range 50 {
			sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("sa-%d", j), Namespace: fmt.Sprintf("ns-%d", i)}}
			objs = append(objs, inventory.New(sa, corev1.SchemeGroupVersion.WithKind("ServiceAccount"), nil))
		}
	}
	return inventory.NewInventory(objs)
}

// BenchmarkIndex20k builds the authorizer's index (aggregation included) from the
// inventory of the synthetic world.
func BenchmarkIndex20k(b *testing.B) {
	inv := syntheticWorld()
	b.ResetTimer()
	for b.Loop() {
		rbac.PolicyOf(inv)
	}
}

// BenchmarkWhoCan20k answers one namespaced who-can question on the built index.
func BenchmarkWhoCan20k(b *testing.B) {
	p := rbac.PolicyOf(syntheticWorld())
	q := authz.Request{Verb: "get", Resource: "secrets", Namespace: "ns-7"}
	b.ResetTimer()
	for b.Loop() {
		if len(p.WhoCan(q)) < 2 {
			b.Fatal("nobody can get secrets")
		}
	}
}

// BenchmarkPaths20k finds the escalation paths of every subject, from the inventory
// (index build included).
func BenchmarkPaths20k(b *testing.B) {
	inv := syntheticWorld()
	b.ResetTimer()
	for b.Loop() {
		if len(Find(FromInventory(inv))) == 0 {
			b.Fatal("no paths")
		}
	}
}

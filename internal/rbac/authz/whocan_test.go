package authz

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// TestWhoCanAgreesWithAllows checks, over seeded random policies, that who-can lists a
// subject covering an identity exactly when Allows allows that identity: the two answer
// the same question from opposite ends. (TestRBACMatchesAuthorizer in test/kube/e2e
// checks Allows against a real API server.)
func TestWhoCanAgreesWithAllows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	nss := []string{"a", "b", "c"}
	verbs := []string{"get", "list", "create", "*"}
	resources := []string{"pods", "pods/exec", "secrets", "*", "*/exec"}
	names := []string{"x", "y"}
	users := []string{"alice", "bob", "system:serviceaccount:a:sa"}
	groups := []string{"dev", "ops", "system:serviceaccounts:b"}
	sas := []string{"sa", "default"}
	for world := range 50 {
		var roles []*Role
		var bindings []*Binding
		for i := range 8 {
			r := &Role{Kind: "ClusterRole", Name: fmt.Sprint("cr", i)}
			if i%2 == 1 {
				r.Kind, r.Namespace = "Role", pick(nss)
			}
			for range 1 + rng.IntN(2) {
				pr := rbacv1.PolicyRule{Verbs: []string{pick(verbs)}, APIGroups: []string{""}, Resources: []string{pick(resources)}}
				if rng.IntN(3) == 0 {
					pr.ResourceNames = []string{pick(names)}
				}
				r.Rules = append(r.Rules, pr)
			}
			roles = append(roles, r)
		}
		for i := range 10 {
			b := &Binding{Kind: "ClusterRoleBinding", Name: fmt.Sprint("b", i)}
			if rng.IntN(2) == 0 {
				b.Kind, b.Namespace = "RoleBinding", pick(nss)
			}
			r := roles[rng.IntN(len(roles))]
			b.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: r.Kind, Name: r.Name}
			switch rng.IntN(3) {
			case 0:
				b.Subjects = []rbacv1.Subject{{Kind: "User", Name: pick(users)}}
			case 1:
				b.Subjects = []rbacv1.Subject{{Kind: "Group", Name: pick(groups)}}
			default:
				ns := pick(nss)
				if b.Namespace != "" && rng.IntN(2) == 0 {
					ns = ""
				}
				b.Subjects = []rbacv1.Subject{{Kind: "ServiceAccount", Name: pick(sas), Namespace: ns}}
			}
			bindings = append(bindings, b)
		}
		p := New(roles, bindings)
		type identity struct {
			user   string
			groups []string
		}
		ids := []identity{{"alice", []string{"dev"}}, {"bob", []string{"ops"}}, {"carol", nil}}
		for _, ns := range nss {
			for _, sa := range sas {
				ids = append(ids, identity{ServiceAccountUser(ns, sa), ServiceAccountGroups(ns)})
			}
		}
		for range 40 {
			q := Request{Verb: pick(verbs[:3]), APIGroup: "", Resource: "pods"}
			switch rng.IntN(3) {
			case 0:
				q.Resource = "secrets"
			case 1:
				q.Subresource = "exec"
			}
			if rng.IntN(2) == 0 {
				q.Name = pick(names)
			}
			if rng.IntN(4) != 0 {
				q.Namespace = pick(nss)
			}
			who := p.WhoCan(q)
			for _, id := range ids {
				asked := q
				asked.User, asked.Groups = id.user, id.groups
				allowed, _ := p.Allows(asked)
				listed := slices.ContainsFunc(who, func(s Subject) bool {
					switch s.Kind {
					case "User":
						return s.Name == id.user
					case "Group":
						return slices.Contains(id.groups, s.Name)
					}
					return ServiceAccountUser(s.Namespace, s.Name) == id.user
				})
				if allowed != listed {
					t.Fatalf("world %d, %+v for %s %v: Allows %v, who-can lists %v (%+v)", world, q, id.user, id.groups, allowed, listed, who)
				}
			}
		}
	}
}

// Rule rbac/cluster-admin-equivalent: no ClusterRoleBinding outside the bootstrap policy
// should bind a ClusterRole other than cluster-admin whose rules, aggregated ones
// included, make its subjects cluster-admin: cluster-admin under another name, which
// reviews that look for "cluster-admin" miss. Grants are judged by what the authorizer
// allows, not by how they are spelt. A role is cluster-admin equivalent when it allows
//
//   - full control: on every resource of every API group (a request no rule names but
//     through "*"), reading (get or list), create, changing (update or patch) and
//     deleting (delete or deletecollection), whatever the verbs are called; or
//   - a one-step grant of cluster-admin to oneself: bind on the ClusterRole
//     cluster-admin with create, update or patch on clusterrolebindings; escalate with
//     update or patch on the bound ClusterRole itself; or impersonating the group
//     system:masters together with a user (impersonating a group takes a user).
//
// Longer chains (approving one's own client certificate, creating pods as a
// privileged service account) are rbac rules of their own and `moat rbac paths`.
// Bindings of cluster-admin itself are rbac/cluster-admin-binding; the group
// system:masters, which the API server allows everything, is left out as there.
package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rbac/authz"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/cluster-admin-equivalent",
			Title:    "Binding grants a role as powerful as cluster-admin",
			Severity: finding.Critical,
			Description: `A ClusterRoleBinding binds a ClusterRole that is not named cluster-admin but whose
effective rules (after aggregation, computed as the controller manager does) make its
subjects cluster-admin, judged by what the authorizer allows rather than by spelling.
Moat counts a role as cluster-admin equivalent when it allows, on every resource of every
API group (through "*" in apiGroups and resources), reading (get or list), create,
changing (update or patch) and deleting (delete or deletecollection), whether verbs are
"*" or listed one by one; or when one request makes its subjects cluster-admin: bind on
the ClusterRole cluster-admin with create, update or patch on clusterrolebindings,
escalate with update or patch on the bound ClusterRole itself, or impersonating the
group system:masters together with a user. It is cluster-admin under another name,
which reviews and tools looking for "cluster-admin" miss; its subjects control the whole
cluster, as members of system:masters do. Longer chains (approving one's own client
certificate, running pods as a privileged service account) are reported by their own
rules and by moat rbac paths. CIS Kubernetes Benchmark 5.1.1 (ensure that the
cluster-admin role is only used where required) and 5.1.3 (minimize wildcard use);
NSA/CISA Kubernetes Hardening Guide, authentication and authorization. Bindings of the
kube-apiserver bootstrap policy and subjects of the group system:masters are not
reported.`,
			Remediation: "Bind a role that lists the verbs and resources the subjects need, or, if they must administer the cluster, bind cluster-admin openly so that reviews see it.",
			Frameworks:  finding.Frameworks{CIS: "5.1.1", NSA: "authentication-authorization", MITRE: "T1078"},
			Kinds:       []string{"ClusterRoleBinding"},
		},
		Inventory: checkClusterAdminEquivalent,
	})
}

func checkClusterAdminEquivalent(c *rule.Context) []rule.Result {
	p := scanPolicy(c)
	var out []rule.Result
	for _, b := range p.BindingsFor("")[0] {
		o := SourceObject(b.Source)
		if o == nil || IsBootstrap(o) || b.RoleRef.Name == ClusterAdmin {
			continue
		}
		how := AdminEquivalence(b.RoleRef.Name, b.Rules())
		if len(how) == 0 {
			continue
		}
		var who []string
		for _, s := range b.Subjects {
			if s.Kind == "Group" && s.Name == GroupMasters {
				continue
			}
			who = append(who, describeSubjects(&authz.Binding{Subjects: []rbacPolicySubject{s}}))
		}
		if len(who) == 0 {
			continue
		}
		rules := "its rules"
		if r := b.Role(); r != nil && r.Aggregation != nil {
			rules = "its aggregated rules"
		}
		out = append(out, rule.Result{
			Object:  o,
			Message: fmt.Sprintf("binds %s to %s, cluster-admin under another name: %s allow %s", b.RoleRefString(), joinList(who), rules, strings.Join(how, "; ")),
			Path:    "roleRef.name",
		})
	}
	return out
}

// fullControlVerbs are the verbs whose holder on every resource controls the cluster;
// each inner list is alternatives.
var fullControlVerbs = [][]string{{"get", "list"}, {"create"}, {"update", "patch"}, {"delete", "deletecollection"}}

// FullControl returns the verbs that rules allow on every resource of every API group,
// when they include reading, create, changing and deleting (fullControlVerbs); nil
// otherwise. A rule allows a verb on every resource when its verbs, apiGroups and
// resources cover a request that only "*" matches, and no resourceNames limit it.
func FullControl(rules []rbacv1.PolicyRule) []string {
	everywhere := func(verb string) bool {
		q := authz.Request{Verb: verb, APIGroup: "*", Resource: "*"}
		return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool { return authz.RuleAllows(&r, &q) })
	}
	for _, alts := range fullControlVerbs {
		if !slices.ContainsFunc(alts, everywhere) {
			return nil
		}
	}
	if everywhere(rbacv1.VerbAll) {
		return []string{rbacv1.VerbAll}
	}
	var out []string
	for _, v := range []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "bind", "escalate", "impersonate"} {
		if everywhere(v) {
			out = append(out, v)
		}
	}
	return out
}

// AdminEquivalence says how rules, bound cluster-wide in the ClusterRole role, make
// their subjects cluster-admin (see the rule's comment), one phrase per way; nil when
// they do not.
func AdminEquivalence(role string, rules []rbacv1.PolicyRule) []string {
	h := holder{rules: rules}
	if vs := FullControl(rules); vs != nil {
		// Full control implies the one-step grants below; they are not listed again.
		if vs[0] == rbacv1.VerbAll {
			return []string{"every verb on every resource of every API group"}
		}
		return []string{joinVerbs(vs) + " on every resource of every API group"}
	}
	var out []string
	if h.anyOf(bindClusterAdmin) && h.anyOf(writeClusterRoleBindings) {
		out = append(out, "bind on the ClusterRole cluster-admin and writing ClusterRoleBindings (one binding makes them cluster-admin)")
	}
	if h.anyOf(named(role, asks(Group, []string{"escalate"}, "clusterroles"))) && h.anyOf(named(role, asks(Group, changeVerbs, "clusterroles"))) {
		out = append(out, fmt.Sprintf("escalate and update on the ClusterRole %q itself (they can rewrite it to allow everything)", role))
	}
	if h.anyOf(impersonateMasters) && h.anyOf(impersonateUser) {
		out = append(out, "impersonating the group system:masters with a user (which passes every authorization check)")
	}
	return out
}

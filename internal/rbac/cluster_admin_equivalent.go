// Rule rbac/cluster-admin-equivalent: no ClusterRoleBinding outside the bootstrap policy
// should bind a ClusterRole other than cluster-admin whose rules, aggregated ones
// included, allow every verb on every resource of every API group. Such a role is
// cluster-admin under another name, which reviews that look for "cluster-admin" miss.
// Bindings of cluster-admin itself are rbac/cluster-admin-binding; the group
// system:masters, which the API server allows everything, is left out as there.
package rbac

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rbac/authz"
	"github.com/moat-dev/moat/internal/rule"
)

// Everything is the request only a rule of "*" verbs, groups and resources allows.
var Everything = authz.Request{Verb: "*", APIGroup: "*", Resource: "*"}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/cluster-admin-equivalent",
			Title:    "Binding grants a role as powerful as cluster-admin",
			Severity: finding.Critical,
			Description: `A ClusterRoleBinding binds a ClusterRole that is not named cluster-admin but whose
effective rules (after aggregation, computed as the controller manager does) allow every
verb on every resource of every API group: cluster-admin under another name, which
reviews and tools looking for "cluster-admin" miss. Its subjects control the whole
cluster, as members of system:masters do. CIS Kubernetes Benchmark 5.1.1 (ensure that
the cluster-admin role is only used where required) and 5.1.3 (minimize wildcard use);
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
	p := PolicyOf(c.Inventory)
	var out []rule.Result
	for _, b := range p.BindingsFor("")[0] {
		o := SourceObject(b.Source)
		if o == nil || IsBootstrap(o) || b.RoleRef.Name == ClusterAdmin || !IsAllPowerful(b.Rules()) {
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
		how := "its rules allow every verb on every resource"
		if r := b.Role(); r != nil && r.Aggregation != nil {
			how = "its aggregated rules allow every verb on every resource"
		}
		out = append(out, rule.Result{
			Object:  o,
			Message: fmt.Sprintf("binds %s to %s: %s of every API group, as cluster-admin does", b.RoleRefString(), joinList(who), how),
			Path:    "roleRef.name",
		})
	}
	return out
}

// IsAllPowerful reports whether rules allow every verb on every resource of every group.
func IsAllPowerful(rules []rbacPolicyRule) bool {
	for i := range rules {
		if authz.RuleAllows(&rules[i], &Everything) {
			return true
		}
	}
	return false
}

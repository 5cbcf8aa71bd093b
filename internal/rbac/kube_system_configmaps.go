// Rule rbac/kube-system-configmaps: no binding outside the bootstrap policy should let
// its subjects change ConfigMaps in kube-system: the coredns ConfigMap decides where the
// cluster's names resolve, and on EKS the aws-auth ConfigMap maps cloud identities to
// Kubernetes users and groups, system:masters included. The check follows the
// authorizer: ClusterRoleBindings, and RoleBindings in kube-system, whose role allows
// update or patch on configmaps named coredns or aws-auth there (or create, which lets
// a deleted one be replaced).
package rbac

import (
	"fmt"
	"slices"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rbac/authz"
	"github.com/moat-dev/moat/internal/rule"
)

// kubeSystemConfigMaps are the ConfigMaps of kube-system that decide identity and name
// resolution.
var kubeSystemConfigMaps = []string{"coredns", "aws-auth"}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/kube-system-configmaps",
			Title:    "Binding lets its subjects change CoreDNS or aws-auth ConfigMaps in kube-system",
			Severity: finding.High,
			Description: `A ClusterRoleBinding, or a RoleBinding in kube-system, binds a role that allows update,
patch or create on the ConfigMaps coredns or aws-auth in kube-system. The coredns
ConfigMap decides where every name in the cluster resolves (traffic interception); on
Amazon EKS the aws-auth ConfigMap maps IAM identities to Kubernetes users and groups, so
whoever edits it makes themselves system:masters. Palo Alto Networks Unit 42 and Datadog
Security Labs research on EKS privilege escalation (aws-auth); Kubernetes docs, RBAC good
practices. Bindings of the kube-apiserver bootstrap policy are not reported.`,
			Remediation: "Bind the role in the namespaces the subjects work in instead of cluster-wide or in kube-system, or limit configmaps access with resourceNames that leave out coredns and aws-auth.",
			Frameworks:  finding.Frameworks{NSA: "authentication-authorization", MITRE: "T1098"},
			Kinds:       []string{"ClusterRoleBinding", "RoleBinding"},
		},
		Inventory: checkKubeSystemConfigMaps,
	})
}

func checkKubeSystemConfigMaps(c *rule.Context) []rule.Result {
	p := PolicyOf(c.Inventory)
	var out []rule.Result
	for _, bs := range p.BindingsFor("kube-system") {
		for _, b := range bs {
			o := SourceObject(b.Source)
			if o == nil || IsBootstrap(o) || len(b.Subjects) == 0 || IsAllPowerful(b.Rules()) {
				continue
			}
			var hits []string
			for _, name := range kubeSystemConfigMaps {
				var verbs []string
				for _, verb := range []string{"update", "patch", "create"} {
					q := authz.Request{Verb: verb, Resource: "configmaps", Namespace: "kube-system", Name: name}
					if verb == "create" {
						q.Name = ""
					}
					if slices.ContainsFunc(b.Rules(), func(r rbacPolicyRule) bool { return authz.RuleAllows(&r, &q) }) {
						verbs = append(verbs, verb)
					}
				}
				if len(verbs) > 0 {
					hits = append(hits, fmt.Sprintf("%q (%s)", name, joinVerbs(verbs)))
				}
			}
			if len(hits) == 0 {
				continue
			}
			out = append(out, rule.Result{
				Object:  o,
				Message: fmt.Sprintf("binds %s, which allows changing the kube-system ConfigMaps %s, to %s: they can redirect the cluster's DNS or, on EKS, map themselves to system:masters", b.RoleRefString(), joinList(hits), describeSubjects(b)),
				Path:    "roleRef",
			})
		}
	}
	return out
}

// Rule rbac/kube-system-configmaps: no binding outside the bootstrap policy should let
// its subjects change ConfigMaps in kube-system: the coredns ConfigMap decides where the
// cluster's names resolve, and on EKS the aws-auth ConfigMap maps cloud identities to
// Kubernetes users and groups, system:masters included. The check follows the
// authorizer: ClusterRoleBindings, and RoleBindings in kube-system, whose role allows
// update or patch on configmaps named coredns or aws-auth there (or create, which lets
// a deleted one be replaced). Every binding is judged by what its role allows: "*"
// allows it, and so does cluster-admin.
package rbac

import (
	"fmt"
	"slices"
	"strings"

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
practices. Bindings are judged by what their role allows, wildcards and cluster-admin
included; bindings of the kube-apiserver bootstrap policy are not reported.`,
			Remediation: "Bind the role in the namespaces the subjects work in instead of cluster-wide or in kube-system, or limit configmaps access with resourceNames that leave out coredns and aws-auth.",
			Frameworks:  finding.Frameworks{NSA: "authentication-authorization", MITRE: "T1098"},
			Kinds:       []string{"ClusterRoleBinding", "RoleBinding"},
		},
		Inventory: checkKubeSystemConfigMaps,
	})
}

func checkKubeSystemConfigMaps(c *rule.Context) []rule.Result {
	p := scanPolicy(c)
	var out []rule.Result
	for _, bs := range p.BindingsFor("kube-system") {
		for _, b := range bs {
			o := SourceObject(b.Source)
			if o == nil || IsBootstrap(o) || len(b.Subjects) == 0 {
				continue
			}
			var hits, can []string
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
				if len(verbs) == 0 {
					continue
				}
				hits = append(hits, fmt.Sprintf("%q (%s)", name, joinVerbs(verbs)))
				change := slices.Contains(verbs, "update") || slices.Contains(verbs, "patch")
				switch {
				case name == "coredns" && change:
					can = append(can, "redirect the names the cluster resolves")
				case name == "coredns":
					can = append(can, "write the coredns ConfigMap where it is missing, and so decide where the cluster's names resolve")
				case change:
					can = append(can, "map IAM identities, their own included, to system:masters through aws-auth (on EKS)")
				default:
					can = append(can, "write aws-auth where it is missing (EKS clusters on access entries) and so map IAM identities to system:masters")
				}
			}
			if len(hits) == 0 {
				continue
			}
			out = append(out, rule.Result{
				Object:  o,
				Message: fmt.Sprintf("binds %s, which allows writing the kube-system ConfigMaps %s, to %s: they can %s", b.RoleRefString(), joinList(hits), describeSubjects(b), strings.Join(can, "; ")),
				Path:    "roleRef",
			})
		}
	}
	return out
}

package vap

// The RBAC rules in CEL. The per-role rules of Moat's catalogue are generated from the
// very Primitive values their Go checks use (rbac.roleCheck), so the two cannot drift:
// a rule of a Role or ClusterRole fails when it grants an ask of the primitive, as
// authz.RuleAllows matches verbs, API groups, resources (with "*/sub") and
// resourceNames. Roles of the bootstrap policy pass, and so do rules with resources
// ["*"] (rbac/wildcard-resources reports those) and, in a Role, cluster-scoped asks.

import (
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/moat-dev/moat/internal/rbac"
)

func init() {
	for id, p := range map[string]rbac.Primitive{
		"rbac/approve-csr":                 rbac.ApproveCSR,
		"rbac/bind-verb":                   rbac.BindVerb,
		"rbac/create-persistentvolumes":    rbac.CreatePersistentVolumes,
		"rbac/create-secrets":              rbac.CreateSecrets,
		"rbac/create-serviceaccount-token": rbac.CreateServiceAccountToken,
		"rbac/delete-events":               rbac.DeleteEvents,
		"rbac/escalate-verb":               rbac.EscalateVerb,
		"rbac/exec-into-pods":              rbac.ExecIntoPods,
		"rbac/impersonate":                 rbac.Impersonate,
		"rbac/modify-admission-webhooks":   rbac.ModifyAdmission,
		"rbac/modify-crds":                 rbac.ModifyCRDs,
		"rbac/modify-namespaces":           rbac.ModifyNamespaces,
		"rbac/modify-networkpolicies":      rbac.ModifyNetworkPolicies,
		"rbac/modify-nodes":                rbac.ModifyNodes,
		"rbac/modify-service-status":       rbac.ModifyServiceStatus,
		"rbac/nodes-proxy":                 rbac.NodesProxy,
		"rbac/read-secrets":                rbac.ReadSecrets,
		"rbac/write-endpoints":             rbac.WriteEndpoints,
	} {
		Translations[id] = roleTranslation(p)
	}
	for id, t := range rbacTranslations {
		Translations[id] = t
	}
}

// rbacTranslations are the other per-object RBAC rules.
var rbacTranslations = map[string]Translation{
	"rbac/wildcard-verbs": {
		Resources:  roles(),
		Expression: "(" + bootstrapRole + ") || object.?rules.orValue([]).all(r, !r.?verbs.orValue([]).exists(v, v == '*'))",
		Message:    "object.kind + ' ' + object.metadata.?name.orValue('') + ' has a rule that grants every verb (verbs [\"*\"])'",
	},
	"rbac/wildcard-resources": {
		Resources:  roles(),
		Expression: "(" + bootstrapRole + ") || object.?rules.orValue([]).all(r, !r.?resources.orValue([]).exists(x, x == '*'))",
		Message:    "object.kind + ' ' + object.metadata.?name.orValue('') + ' has a rule that grants every resource (resources [\"*\"])'",
	},
	"rbac/binding-to-all-authenticated": {
		Resources: bindings(),
		Expression: "(object.?roleRef.?kind.orValue('') == 'ClusterRole' && object.?roleRef.?name.orValue('') in ['system:basic-user', 'system:discovery', 'system:public-info-viewer', 'system:service-account-issuer-discovery']) || " +
			"!object.?subjects.orValue([]).exists(s, s.?kind.orValue('') == 'Group' && s.?name.orValue('') == 'system:authenticated')",
		Message: "'binds ' + object.?roleRef.?kind.orValue('') + ' ' + object.?roleRef.?name.orValue('') + ' to Group system:authenticated: every authenticated user and every service account token in the cluster gets its permissions'",
	},
	"rbac/binding-to-unauthenticated": {
		Resources: bindings(),
		Expression: "(object.?roleRef.?kind.orValue('') == 'ClusterRole' && object.?roleRef.?name.orValue('') in ['system:public-info-viewer', 'system:service-account-issuer-discovery']) || " +
			"!object.?subjects.orValue([]).exists(s, s.?kind.orValue('') != 'ServiceAccount' && s.?name.orValue('') in ['system:anonymous', 'system:unauthenticated'])",
		Message: "'binds ' + object.?roleRef.?kind.orValue('') + ' ' + object.?roleRef.?name.orValue('') + ' to system:anonymous or system:unauthenticated: anyone who can reach the API server gets its permissions without credentials'",
	},
	"rbac/cluster-admin-binding": {
		Resources:  bindings(),
		Expression: "!(object.?roleRef.?kind.orValue('') == 'ClusterRole' && object.?roleRef.?name.orValue('') == 'cluster-admin') || object.?subjects.orValue([]).all(s, s.?kind.orValue('') == 'Group' && s.?name.orValue('') == 'system:masters')",
		Message:    "'grants cluster-admin to ' + object.?subjects.orValue([]).filter(s, !(s.?kind.orValue('') == 'Group' && s.?name.orValue('') == 'system:masters')).map(s, s.?kind.orValue('') + ' ' + s.?name.orValue('')).join(', ')",
	},
	"rbac/default-service-account-bound": {
		Resources: bindings(),
		Expression: "(" + bootstrapRole + ") || !object.?subjects.orValue([]).exists(s, s.?kind.orValue('') == 'ServiceAccount' && s.?name.orValue('') == 'default' && " +
			"!(s.?namespace.orValue('') == '' && object.kind == 'ClusterRoleBinding'))",
		Message: "'binds ' + object.?roleRef.?kind.orValue('') + ' ' + object.?roleRef.?name.orValue('') + ' to a \"default\" service account: every pod of that namespace without its own serviceAccountName gets it'",
	},
}

// roleTranslation is the Translation of rbac.roleCheck(p).
func roleTranslation(p rbac.Primitive) Translation {
	grants := grantsCEL(p)
	return Translation{
		Resources:  roles(),
		Expression: "(" + bootstrapRole + ") || object.?rules.orValue([]).all(r, r.?resources.orValue([]).exists(x, x == '*') || !(" + grants + "))",
		Message: "object.kind + ' ' + object.metadata.?name.orValue('') + ' has a rule that allows " +
			celEscape(describeAsks(p)) + ": " + celEscape(p.Consequence) + "'",
	}
}

// grantsCEL: policy rule r allows one of the primitive's asks.
func grantsCEL(p rbac.Primitive) string {
	names := ""
	if !p.Named {
		// A rule limited by resourceNames is a narrow grant, unless it names "".
		names = " && (r.?resourceNames.orValue([]).size() == 0 || '' in r.resourceNames)"
	}
	var terms []string
	for _, a := range p.Asks {
		res := "x == '" + a.Resource + "'"
		if _, sub, ok := strings.Cut(a.Resource, "/"); ok {
			res += " || x == '*/" + sub + "'"
		}
		t := fmt.Sprintf("(r.?verbs.orValue([]).exists(v, v == '*' || v in %s) && r.?apiGroups.orValue([]).exists(g, g == '*' || g == '%s') && r.?resources.orValue([]).exists(x, %s)%s)",
			celList(a.Verbs), a.Group, res, names)
		if a.ClusterScoped() {
			t = "(object.kind == 'ClusterRole' && " + t + ")"
		}
		terms = append(terms, t)
	}
	return strings.Join(terms, " || ")
}

func describeAsks(p rbac.Primitive) string {
	var out []string
	for _, a := range p.Asks {
		what := a.Resource
		if a.Group != "" {
			what += "." + a.Group
		}
		out = append(out, strings.Join(a.Verbs, ", ")+" on "+what)
	}
	return strings.Join(out, "; ")
}

// bootstrapRole: the object is a role or binding of the API server's bootstrap policy
// (rbac.IsBootstrap).
const bootstrapRole = "object.metadata.?labels[?'kubernetes.io/bootstrapping'].orValue('') == 'rbac-defaults' && " +
	"(object.metadata.?name.orValue('') in ['cluster-admin', 'admin', 'edit', 'view'] || object.metadata.?name.orValue('').startsWith('system:'))"

func roles() []admissionregistrationv1.NamedRuleWithOperations {
	return []admissionregistrationv1.NamedRuleWithOperations{resources("rbac.authorization.k8s.io", "v1", "roles", "clusterroles")}
}

func bindings() []admissionregistrationv1.NamedRuleWithOperations {
	return []admissionregistrationv1.NamedRuleWithOperations{resources("rbac.authorization.k8s.io", "v1", "rolebindings", "clusterrolebindings")}
}

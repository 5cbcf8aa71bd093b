package rbac

import (
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// catalogue is every Primitive a rule of this package registers with roleCheck.
var catalogue = map[string]Primitive{
	"rbac/approve-csr": ApproveCSR, "rbac/bind-verb": BindVerb, "rbac/create-persistentvolumes": CreatePersistentVolumes,
	"rbac/create-pods": CreateWorkloads, "rbac/create-secrets": CreateSecrets, "rbac/create-serviceaccount-token": CreateServiceAccountToken,
	"rbac/delete-events": DeleteEvents, "rbac/escalate-verb": EscalateVerb, "rbac/exec-into-pods": ExecIntoPods,
	"rbac/impersonate": Impersonate, "rbac/modify-admission-webhooks": ModifyAdmission, "rbac/modify-crds": ModifyCRDs,
	"rbac/modify-namespaces": ModifyNamespaces, "rbac/modify-networkpolicies": ModifyNetworkPolicies, "rbac/modify-nodes": ModifyNodes,
	"rbac/modify-service-status": ModifyServiceStatus, "rbac/nodes-proxy": NodesProxy, "rbac/read-secrets": ReadSecrets,
	"rbac/write-endpoints": WriteEndpoints,
}

func rule1(verbs, groups, resources []string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources, ResourceNames: names}
}

func ss(s ...string) []string { return s }

func TestPrimitiveGrant(t *testing.T) {
	tests := []struct {
		name   string
		p      Primitive
		rules  []rbacv1.PolicyRule
		inRole bool
		want   string // Grant.Allows; "" when the rules grant nothing of it
		cons   string // a part the consequence must hold, if set
		not    string // a part it must not hold, if set
	}{
		{name: "verbs are listed per resource", p: ReadSecrets,
			rules: []rbacv1.PolicyRule{rule1(ss("get", "list"), ss(""), ss("secrets"))}, want: "get, list on secrets",
			cons: "read every Secret in scope with its data"},
		{name: "get alone reads Secrets whose name one knows", p: ReadSecrets,
			rules: []rbacv1.PolicyRule{rule1(ss("get"), ss(""), ss("secrets"))}, want: "get on secrets",
			cons: "whose name they know", not: "every Secret"},
		{name: "two rules of one role make one grant", p: ReadSecrets,
			rules: []rbacv1.PolicyRule{rule1(ss("get"), ss(""), ss("secrets")), rule1(ss("watch"), ss(""), ss("configmaps", "secrets"))},
			want:  "get, watch on secrets"},
		{name: "a rule limited by resourceNames is a narrow grant", p: ReadSecrets,
			rules: []rbacv1.PolicyRule{rule1(ss("get"), ss(""), ss("secrets"), "db")}},
		{name: "resources * allow secrets", p: ReadSecrets,
			rules: []rbacv1.PolicyRule{rule1(ss("list"), ss("*"), ss("*"))}, want: "list on secrets"},
		{name: "verbs * allow every verb of the primitive", p: ReadSecrets,
			rules: []rbacv1.PolicyRule{rule1(ss("*"), ss(""), ss("secrets"))}, want: "get, list, watch on secrets"},
		{name: "a named primitive counts resourceNames", p: Impersonate,
			rules: []rbacv1.PolicyRule{rule1(ss("impersonate"), ss(""), ss("groups"), "system:masters")},
			want:  `impersonate on groups (resourceNames ["system:masters"])`,
			cons:  "also takes impersonating a user", not: "passes every authorization check"},
		{name: "impersonating system:masters with a user is cluster-admin", p: Impersonate,
			rules: []rbacv1.PolicyRule{rule1(ss("impersonate"), ss(""), ss("groups", "users"))},
			want:  "impersonate on users, groups", cons: "passes every authorization check"},
		{name: "another API group is another resource", p: ReadSecrets,
			rules: []rbacv1.PolicyRule{rule1(ss("get"), ss("example.com"), ss("secrets"))}},
		{name: "*/subresource matches the subresource", p: ExecIntoPods,
			rules: []rbacv1.PolicyRule{rule1(ss("create"), ss(""), ss("*/exec"))}, want: "create on pods/exec",
			cons: "run commands", not: "port"},
		{name: "port-forward alone runs no command", p: ExecIntoPods,
			rules: []rbacv1.PolicyRule{rule1(ss("create"), ss(""), ss("pods/portforward"))}, want: "create on pods/portforward",
			cons: "connect through the API server", not: "run commands"},
		{name: "a Role cannot grant a cluster-scoped resource", p: ModifyNodes,
			rules: []rbacv1.PolicyRule{rule1(ss("patch"), ss(""), ss("nodes"))}, inRole: true},
		{name: "a ClusterRole can", p: ModifyNodes,
			rules: []rbacv1.PolicyRule{rule1(ss("patch"), ss(""), ss("nodes"))}, want: "patch on nodes"},
		{name: "a Role cannot grant escalate on ClusterRoles, which is asked without a namespace", p: EscalateVerb,
			rules: []rbacv1.PolicyRule{rule1(ss("escalate", "update"), ss(Group), ss("clusterroles"))}, inRole: true},
		{name: "a Role's bind on cluster-admin serves RoleBindings of its namespace only", p: BindVerb,
			rules: []rbacv1.PolicyRule{rule1(ss("bind"), ss(Group), ss("clusterroles"), "cluster-admin")}, inRole: true,
			want: `bind on clusterroles (rbac.authorization.k8s.io; resourceNames ["cluster-admin"])`, cons: "grant the roles the rule covers", not: "cluster-admin"},
		{name: "a ClusterRole's bind on cluster-admin with create on ClusterRoleBindings", p: BindVerb,
			rules: []rbacv1.PolicyRule{rule1(ss("bind"), ss(Group), ss("clusterroles"), "cluster-admin"), rule1(ss("create"), ss(Group), ss("clusterrolebindings"))},
			want:  `bind on clusterroles (rbac.authorization.k8s.io; resourceNames ["cluster-admin"])`, cons: "make themselves cluster-admin"},
		{name: "create on secrets with no read does not read the token back", p: CreateSecrets,
			rules: []rbacv1.PolicyRule{rule1(ss("create"), ss(""), ss("secrets"))}, want: "create on secrets",
			cons: "does not let them read the token back", not: "read that token back"},
		{name: "create on secrets with reads limited by resourceNames", p: CreateSecrets,
			rules: []rbacv1.PolicyRule{rule1(ss("create"), ss(""), ss("secrets")), rule1(ss("get"), ss(""), ss("secrets"), "app-config")},
			want:  "create on secrets", cons: "only if they give the Secret a name", not: "read that token back"},
		{name: "create and list on secrets read the token back", p: CreateSecrets,
			rules: []rbacv1.PolicyRule{rule1(ss("create", "list"), ss(""), ss("secrets"))}, want: "create on secrets",
			cons: "read that token back"},
		{name: "validating admission policies alone send nothing to a webhook", p: ModifyAdmission,
			rules: []rbacv1.PolicyRule{rule1(ss("create", "update", "delete"), ss(admissionGroup), ss("validatingadmissionpolicies", "validatingadmissionpolicybindings"))},
			want:  "create, update, delete on validatingadmissionpolicies, validatingadmissionpolicybindings (admissionregistration.k8s.io)",
			cons:  "turn off or rewrite the admission policies", not: "webhook"},
		{name: "mutating webhooks receive objects and rewrite pods", p: ModifyAdmission,
			rules: []rbacv1.PolicyRule{rule1(ss("create"), ss(admissionGroup), ss("mutatingwebhookconfigurations"))},
			want:  "create on mutatingwebhookconfigurations (admissionregistration.k8s.io)", cons: "rewrite pods", not: "turn off"},
		{name: "patching a Deployment runs pods of one's choosing", p: CreateWorkloads,
			rules: []rbacv1.PolicyRule{rule1(ss("patch"), ss("apps"), ss("deployments"))}, want: "patch on deployments (apps)",
			cons: "rewrite the pod template"},
		{name: "a Job's template cannot change", p: CreateWorkloads,
			rules: []rbacv1.PolicyRule{rule1(ss("update", "patch"), ss("batch"), ss("jobs")), rule1(ss("patch"), ss("apps"), ss("deployments/scale"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, ok := tt.p.Grant(tt.rules, tt.inRole)
			if ok != (tt.want != "") || g.Allows != tt.want {
				t.Fatalf("Grant = %q, %v; want %q", g.Allows, ok, tt.want)
			}
			if tt.cons != "" && !strings.Contains(g.Consequence, tt.cons) {
				t.Errorf("consequence %q does not say %q", g.Consequence, tt.cons)
			}
			if tt.not != "" && strings.Contains(g.Consequence, tt.not) {
				t.Errorf("consequence %q says %q", g.Consequence, tt.not)
			}
		})
	}
}

// TestEveryGrantHasAConsequence: whatever single verb of a primitive a ClusterRole or
// Role allows, with or without resourceNames, its message says what that lets its
// subjects do; and a wildcard role allows every primitive.
func TestEveryGrantHasAConsequence(t *testing.T) {
	for id, p := range catalogue {
		seen := map[string]bool{}
		for _, c := range p.Clauses {
			if seen[c.Text] || c.Text == p.Consequence {
				t.Errorf("%s: clause said twice: %q", id, c.Text)
			}
			seen[c.Text] = true
		}
		for _, a := range p.Asks {
			for _, v := range a.Verbs {
				for _, names := range [][]string{nil, {"x"}} {
					r := rule1(ss(v), ss(a.Group), ss(a.Resource), names...)
					for _, inRole := range []bool{false, true} {
						g, ok := p.Grant([]rbacv1.PolicyRule{r}, inRole)
						if ok && g.Consequence == "" {
							t.Errorf("%s: %s on %s (resourceNames %v): no consequence", id, v, a.what(), names)
						}
						if want := (names == nil || p.Named) && !(inRole && a.ClusterScoped()); ok != want {
							t.Errorf("%s: %s on %s (resourceNames %v, Role %v): granted %v", id, v, a.what(), names, inRole, ok)
						}
					}
				}
			}
		}
		if _, ok := p.Grant([]rbacv1.PolicyRule{rule1(ss("*"), ss("*"), ss("*"))}, false); !ok {
			t.Errorf("%s: a ClusterRole of \"*\" does not allow it", id)
		}
	}
}

func TestAdminEquivalence(t *testing.T) {
	tests := []struct {
		name  string
		rules []rbacv1.PolicyRule
		want  string
	}{
		{"every verb spelt \"*\"", []rbacv1.PolicyRule{rule1(ss("*"), ss("*"), ss("*"))}, "every verb on every resource of every API group"},
		{"verbs listed one by one", []rbacv1.PolicyRule{rule1(ss("get", "list", "watch", "create", "update", "patch", "delete"), ss("*"), ss("*"))},
			"get, list, watch, create, update, patch, delete on every resource of every API group"},
		{"reads and writes in two rules", []rbacv1.PolicyRule{rule1(ss("list"), ss("*"), ss("*")), rule1(ss("create", "patch", "deletecollection"), ss("*"), ss("*"))},
			"list, create, patch, deletecollection on every resource of every API group"},
		{"reading everything is not", []rbacv1.PolicyRule{rule1(ss("get", "list", "watch"), ss("*"), ss("*"))}, ""},
		{"no delete is not", []rbacv1.PolicyRule{rule1(ss("get", "create", "update"), ss("*"), ss("*"))}, ""},
		{"every group but not every resource is not", []rbacv1.PolicyRule{rule1(ss("*"), ss("*"), ss("pods", "secrets"))}, ""},
		{"one group only is not", []rbacv1.PolicyRule{rule1(ss("*"), ss("apps"), ss("*"))}, ""},
		{"every verb on the core group impersonates system:masters", []rbacv1.PolicyRule{rule1(ss("*"), ss(""), ss("*"))},
			"impersonating the group system:masters with a user (which passes every authorization check)"},
		{"resourceNames limit it", []rbacv1.PolicyRule{rule1(ss("*"), ss("*"), ss("*"), "one")}, ""},
		{"bind cluster-admin and create bindings", []rbacv1.PolicyRule{rule1(ss("bind"), ss(Group), ss("clusterroles"), "cluster-admin"), rule1(ss("create"), ss(Group), ss("clusterrolebindings"))},
			"bind on the ClusterRole cluster-admin and writing ClusterRoleBindings (one binding makes them cluster-admin)"},
		{"bind another role is not", []rbacv1.PolicyRule{rule1(ss("bind"), ss(Group), ss("clusterroles"), "view"), rule1(ss("create"), ss(Group), ss("clusterrolebindings"))}, ""},
		{"escalate and update the role itself", []rbacv1.PolicyRule{rule1(ss("escalate", "patch"), ss(Group), ss("clusterroles"), "self")},
			`escalate and update on the ClusterRole "self" itself (they can rewrite it to allow everything)`},
		{"escalate on another role is not", []rbacv1.PolicyRule{rule1(ss("escalate", "patch"), ss(Group), ss("clusterroles"), "other")}, ""},
		{"impersonate system:masters with a user", []rbacv1.PolicyRule{rule1(ss("impersonate"), ss(""), ss("groups"), "system:masters"), rule1(ss("impersonate"), ss(""), ss("users"), "nobody")},
			"impersonating the group system:masters with a user (which passes every authorization check)"},
		{"impersonate system:masters without a user is not", []rbacv1.PolicyRule{rule1(ss("impersonate"), ss(""), ss("groups"))}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(AdminEquivalence("self", tt.rules), "; "); got != tt.want {
				t.Errorf("AdminEquivalence = %q, want %q", got, tt.want)
			}
		})
	}
}

package paths

import (
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
)

func world(t *testing.T, docs ...string) Input {
	t.Helper()
	objs, errs := inventory.Decode(strings.NewReader(strings.Join(docs, "\n---\n")), "world.yaml")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return FromInventory(inventory.NewInventory(objs))
}

func clusterRole(name string, rules ...string) string {
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: " + name + "}\nrules:\n- " + strings.Join(rules, "\n- ")
}

func role(ns, name string, rules ...string) string {
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: " + name + ", namespace: " + ns + "}\nrules:\n- " + strings.Join(rules, "\n- ")
}

func binding(kind, ns, name, roleKind, roleName, subject string) string {
	meta := "{name: " + name + "}"
	if ns != "" {
		meta = "{name: " + name + ", namespace: " + ns + "}"
	}
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: " + kind + "\nmetadata: " + meta +
		"\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: " + roleKind + ", name: " + roleName + "}\nsubjects: [" + subject + "]"
}

const (
	userDev   = "{kind: User, apiGroup: rbac.authorization.k8s.io, name: dev}"
	deployer  = "{kind: ServiceAccount, name: deployer, namespace: ci}"
	serviceSA = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: deployer, namespace: ci}"
)

// summary writes a path as "SUBJECT => GOAL: primitive, primitive" ("-" for moves
// between states that need no permission).
func summary(p Path) string {
	var prims []string
	for _, s := range p.Steps {
		if s.Primitive == "" {
			prims = append(prims, "-")
		} else {
			prims = append(prims, s.Primitive)
		}
	}
	return p.Subject.String() + " => " + p.Goal + ": " + strings.Join(prims, ", ")
}

func TestFind(t *testing.T) {
	tests := []struct {
		name  string
		world []string
		want  []string
	}{
		{
			"create pods in ci, run as the deployer, which binds cluster-admin",
			[]string{
				role("ci", "runner", `{apiGroups: [apps], resources: [deployments], verbs: [create]}`),
				binding("RoleBinding", "ci", "dev-runner", "Role", "runner", userDev),
				clusterRole("binder", `{apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}`,
					`{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [cluster-admin]}`),
				binding("ClusterRoleBinding", "", "deployer-binder", "ClusterRole", "binder", deployer),
				serviceSA,
			},
			[]string{
				"ServiceAccount ci/deployer => cluster-admin: rbac/bind-verb",
				"User dev => cluster-admin: rbac/create-workloads, -, rbac/bind-verb",
			},
		},
		{
			"impersonating system:masters with a user is cluster-admin; a RoleBinding cannot grant it",
			[]string{
				clusterRole("masters", `{apiGroups: [""], resources: [groups], verbs: [impersonate], resourceNames: ["system:masters"]}`,
					`{apiGroups: [""], resources: [users], verbs: [impersonate], resourceNames: ["break-glass"]}`),
				binding("ClusterRoleBinding", "", "oncall", "ClusterRole", "masters", "{kind: Group, apiGroup: rbac.authorization.k8s.io, name: oncall}"),
				binding("RoleBinding", "web", "web-masters", "ClusterRole", "masters", userDev),
			},
			[]string{"Group oncall => cluster-admin: rbac/impersonate"},
		},
		{
			"the API server refuses to impersonate a group without a user",
			[]string{
				clusterRole("group-only", `{apiGroups: [""], resources: [groups], verbs: [impersonate], resourceNames: ["system:masters"]}`),
				binding("ClusterRoleBinding", "", "oncall", "ClusterRole", "group-only", "{kind: Group, apiGroup: rbac.authorization.k8s.io, name: oncall}"),
			},
			nil,
		},
		{
			"full control of every resource is cluster-admin, whatever the verbs are called",
			[]string{
				clusterRole("operator", `{apiGroups: ["*"], resources: ["*"], verbs: [get, list, watch, create, update, patch, delete]}`),
				binding("ClusterRoleBinding", "", "operator", "ClusterRole", "operator", "{kind: ServiceAccount, name: operator, namespace: platform}"),
				clusterRole("reader", `{apiGroups: ["*"], resources: ["*"], verbs: [get, list, watch]}`),
				binding("ClusterRoleBinding", "", "reader", "ClusterRole", "reader", "{kind: Group, apiGroup: rbac.authorization.k8s.io, name: auditors}"),
			},
			// get on every resource includes get on pods/exec, which the websocket
			// protocol uses: the auditors can exec into the operator's pods.
			[]string{
				"ServiceAccount platform/operator => cluster-admin: rbac/cluster-admin-equivalent",
				"Group auditors => cluster-admin: rbac/exec-into-pods, -, -, rbac/cluster-admin-equivalent",
			},
		},
		{
			"binding a named role other than cluster-admin leads nowhere",
			[]string{
				clusterRole("binder", `{apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}`,
					`{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [view]}`),
				binding("ClusterRoleBinding", "", "dev-binder", "ClusterRole", "binder", userDev),
			},
			nil,
		},
		{
			"approving one's own client certificate needs create, approval and the signer",
			[]string{
				clusterRole("csr", `{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]}`,
					`{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}`,
					`{apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [kubernetes.io/kube-apiserver-client]}`),
				binding("ClusterRoleBinding", "", "dev-csr", "ClusterRole", "csr", userDev),
				clusterRole("csr-half", `{apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests, certificatesigningrequests/approval], verbs: [create, update]}`),
				binding("ClusterRoleBinding", "", "half", "ClusterRole", "csr-half", "{kind: User, apiGroup: rbac.authorization.k8s.io, name: half}"),
			},
			[]string{"User dev => cluster-admin: rbac/approve-csr"},
		},
		{
			"a token for a service account that may escalate the role bound to it",
			[]string{
				role("ci", "tokens", `{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create], resourceNames: [deployer]}`),
				binding("RoleBinding", "ci", "dev-tokens", "Role", "tokens", userDev),
				clusterRole("self-edit", `{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [get, update, escalate], resourceNames: [self-edit]}`),
				binding("ClusterRoleBinding", "", "deployer-self-edit", "ClusterRole", "self-edit", deployer),
				serviceSA,
			},
			[]string{
				"ServiceAccount ci/deployer => cluster-admin: rbac/escalate-verb",
				"User dev => cluster-admin: rbac/create-serviceaccount-token, rbac/escalate-verb",
			},
		},
		{
			"nodes/proxy reaches every pod, a kube-system admin's included",
			[]string{
				clusterRole("kubelet-api", `{apiGroups: [""], resources: [nodes/proxy], verbs: [get]}`),
				binding("ClusterRoleBinding", "", "monitoring", "ClusterRole", "kubelet-api", "{kind: ServiceAccount, name: agent, namespace: monitoring}"),
				binding("ClusterRoleBinding", "", "admin-bot", "ClusterRole", "cluster-admin", "{kind: ServiceAccount, name: admin-bot, namespace: kube-system}"),
			},
			[]string{
				"ServiceAccount kube-system/admin-bot => cluster-admin: rbac/cluster-admin-equivalent",
				"ServiceAccount monitoring/agent => cluster-admin: rbac/nodes-proxy, -, -, rbac/cluster-admin-equivalent",
			},
		},
		{
			"reading every Secret; creating token Secrets needs reading them too",
			[]string{
				clusterRole("secrets", `{apiGroups: [""], resources: [secrets], verbs: [list]}`),
				binding("ClusterRoleBinding", "", "auditor", "ClusterRole", "secrets", "{kind: Group, apiGroup: rbac.authorization.k8s.io, name: auditors}"),
				role("ci", "mint", `{apiGroups: [""], resources: [secrets], verbs: [create]}`),
				binding("RoleBinding", "ci", "dev-mint", "Role", "mint", userDev),
				role("ci", "mint-read", `{apiGroups: [""], resources: [secrets], verbs: [create, get]}`),
				binding("RoleBinding", "ci", "ops-mint", "Role", "mint-read", "{kind: User, apiGroup: rbac.authorization.k8s.io, name: ops}"),
				binding("RoleBinding", "ci", "deployer-secrets", "ClusterRole", "secrets", deployer),
				binding("ClusterRoleBinding", "", "deployer-secrets-all", "ClusterRole", "secrets", deployer),
				serviceSA,
			},
			[]string{
				"Group auditors => read-all-secrets: rbac/read-secrets",
				"ServiceAccount ci/deployer => read-all-secrets: rbac/read-secrets",
				"User ops => read-all-secrets: rbac/create-secrets, -, rbac/read-secrets",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range Find(world(t, tt.world...)) {
				got = append(got, summary(p))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("paths:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// Rule rbac/exec-into-pods: a Role or ClusterRole rule must not allow pods/exec,
// pods/attach, pods/portforward (create, or get which the websocket protocol uses) or
// changing pods/ephemeralcontainers: each lets its holder act inside running containers,
// with their service account token, Secrets and network position.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// ExecIntoPods is running commands in, attaching to, debugging or port-forwarding to running pods.
var ExecIntoPods = Primitive{
	Asks: append(asks("", []string{"create", "get"}, "pods/exec", "pods/attach", "pods/portforward"), asks("", changeVerbs, "pods/ephemeralcontainers")...),
	Clauses: []Clause{
		{If: append(asks("", []string{"create", "get"}, "pods/exec"), asks("", changeVerbs, "pods/ephemeralcontainers")...),
			Text: "run commands in running containers, with their service account tokens, mounted Secrets and network access"},
		{If: asks("", []string{"create", "get"}, "pods/attach"), Text: "attach to the main process of running containers and read and write its terminal"},
		{If: asks("", []string{"create", "get"}, "pods/portforward"), Text: "connect through the API server to any port of running pods, past their NetworkPolicies"},
	},
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/exec-into-pods",
			Title:    "Role can exec into, attach to, debug or port-forward to pods",
			Severity: finding.High,
			Description: `A Role or ClusterRole rule allows create or get on pods/exec, pods/attach or
pods/portforward, or update or patch on pods/ephemeralcontainers (kubectl debug). Each
runs code or opens connections inside a running container, which carries its service
account token, its mounted Secrets and its place in the network. Kubernetes docs, RBAC
good practices; Kubescape control C-0002 (exec into container); MITRE ATT&CK for
Containers T1609 (container administration command).
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Grant pods/exec, pods/attach, pods/portforward and pods/ephemeralcontainers only to break-glass roles bound for a limited time, and audit their use.",
			Frameworks:  finding.Frameworks{NSA: "authentication-authorization", MITRE: "T1609"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(ExecIntoPods),
		CEL:    roleCEL(ExecIntoPods),
	})
}

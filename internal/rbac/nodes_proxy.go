// Rule rbac/nodes-proxy: a ClusterRole rule must not allow any verb on nodes/proxy:
// through the API server's proxy it reaches the kubelet API of every node, which runs
// commands in any pod (get alone is enough for the websocket exec endpoint) and bypasses
// admission control and audit of those pods.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// NodesProxy is the kubelet API through the API server proxy.
var NodesProxy = Primitive{
	Asks:  asks("", []string{"get", "create", "update", "patch", "delete"}, "nodes/proxy"),
	Named: true,
	Clauses: []Clause{
		{If: asks("", []string{"get", "create"}, "nodes/proxy"),
			Text: "reach the kubelet API of every node and run commands in any pod there (get is enough for its websocket endpoints), outside admission control"},
		{If: named(AnyName, asks("", []string{"get", "create"}, "nodes/proxy")), Unless: asks("", []string{"get", "create"}, "nodes/proxy"),
			Text: "reach the kubelet API of the nodes the rule names and run commands in any pod there (get is enough for its websocket endpoints), outside admission control"},
		{If: named(AnyName, asks("", []string{"update", "patch", "delete"}, "nodes/proxy")), Unless: named(AnyName, asks("", []string{"get", "create"}, "nodes/proxy")),
			Text: "send PUT, PATCH and DELETE requests to the kubelet API of the nodes the rule covers"},
	},
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/nodes-proxy",
			Title:    "Role can reach the kubelet API (nodes/proxy)",
			Severity: finding.Critical,
			Description: `A Role or ClusterRole rule allows a verb on nodes/proxy. Requests through the API
server's node proxy reach the kubelet API (/exec, /run, /attach, /pods), which runs
commands in any container on the node; get is enough, since the kubelet's websocket
endpoints are reached with GET. The commands are not seen by admission control, and the
API server's audit log records only a proxy request. Kubernetes docs, RBAC good
practices (access to proxy subresource of Nodes); CIS Kubernetes Benchmark 5.1.10;
Datadog Security Labs research on nodes/proxy.
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Remove nodes/proxy from the role; monitoring agents can read metrics from nodes/metrics and nodes/stats instead.",
			Frameworks:  finding.Frameworks{CIS: "5.1.10", NSA: "authentication-authorization", MITRE: "T1609"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(NodesProxy),
		CEL:    roleCEL(NodesProxy),
	})
}

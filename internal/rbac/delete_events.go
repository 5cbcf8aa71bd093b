// Rule rbac/delete-events: a Role or ClusterRole rule that allows delete or
// deletecollection on events (core or events.k8s.io) is reported: its holder erases the
// trace of what they did.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// DeleteEvents is deleting Events.
var DeleteEvents = Primitive{
	Asks:        append(asks("", []string{"delete", "deletecollection"}, "events"), asks("events.k8s.io", []string{"delete", "deletecollection"}, "events")...),
	Consequence: "erase Events and with them the trace of their actions",
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/delete-events",
			Title:    "Role can delete Events",
			Severity: finding.Medium,
			Description: `A Role or ClusterRole rule allows delete or deletecollection on events, in the core
group or events.k8s.io. Events are where failed pulls, evictions and admission denials
show; deleting them hides an attacker's steps from people and tools that read them.
Kubescape control C-0031 (delete Kubernetes events); MITRE ATT&CK T1070 (indicator
removal).
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Remove delete and deletecollection on events; the API server expires Events itself.",
			Frameworks:  finding.Frameworks{NSA: "authentication-authorization", MITRE: "T1070"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(DeleteEvents),
		CEL:    roleCEL(DeleteEvents),
	})
}

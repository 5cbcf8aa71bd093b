// Rule rbac/modify-admission-webhooks: a ClusterRole rule must not allow create, update,
// patch or delete on validating or mutating webhook configurations or admission policies
// and their bindings: the holder turns off the checks that guard the cluster, or
// intercepts and rewrites every object, Secrets included.
package rbac

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

const admissionGroup = "admissionregistration.k8s.io"

var (
	admissionWebhooks = []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"}
	admissionPolicies = []string{"validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"}
	writeNoDelete     = []string{"create", "update", "patch"}
	changeOrDelete    = []string{"update", "patch", "delete", "deletecollection"}
)

// ModifyAdmission is changing admission webhooks and admission policies.
var ModifyAdmission = Primitive{
	Asks: asks(admissionGroup, writeVerbs, append(admissionWebhooks, admissionPolicies...)...),
	Clauses: []Clause{
		{If: asks(admissionGroup, changeOrDelete, admissionWebhooks...), Text: "turn off the checks of existing admission webhooks"},
		{If: asks(admissionGroup, writeNoDelete, "validatingwebhookconfigurations"), Unless: asks(admissionGroup, writeNoDelete, "mutatingwebhookconfigurations"),
			Text: "have the objects a validating webhook matches, Secrets included, sent to a server of their own"},
		{If: asks(admissionGroup, writeNoDelete, "mutatingwebhookconfigurations"),
			Text: "have the objects a webhook matches, Secrets included, sent to a server of their own, which can rewrite pods as they are admitted"},
		{If: asks(admissionGroup, changeOrDelete, admissionPolicies...), Text: "turn off or rewrite the admission policies that enforce the cluster's rules"},
		{If: asks(admissionGroup, []string{"create"}, "validatingadmissionpolicies", "validatingadmissionpolicybindings"),
			Text: "add ValidatingAdmissionPolicies or bindings that refuse requests of their choosing"},
		{If: asks(admissionGroup, writeNoDelete, "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"),
			Text: "rewrite objects, pods included, as they are admitted (MutatingAdmissionPolicies)"},
	},
}

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "rbac/modify-admission-webhooks",
			Title:    "Role can change admission webhooks or policies",
			Severity: finding.High,
			Description: `A Role or ClusterRole rule allows create, update, patch, delete or deletecollection on
validatingwebhookconfigurations, mutatingwebhookconfigurations,
validatingadmissionpolicies, mutatingadmissionpolicies or their bindings. The holder can
remove the policies that enforce security, or register a webhook that receives every
object admitted (Secrets included) and mutates pods to run their code. CIS Kubernetes
Benchmark 5.1.12 (minimize access to webhook configuration objects); Kubernetes docs,
RBAC good practices.
Roles of the kube-apiserver bootstrap policy (labelled kubernetes.io/bootstrapping=rbac-defaults)
are not reported.`,
			Remediation: "Grant write access to admission configuration only to the cluster administrators and the controller that owns each webhook, limited with resourceNames.",
			Frameworks:  finding.Frameworks{CIS: "5.1.12", NSA: "authentication-authorization", MITRE: "T1562.001"},
			Kinds:       []string{"Role", "ClusterRole"},
		},
		Object: roleCheck(ModifyAdmission),
		CEL:    roleCEL(ModifyAdmission),
	})
}

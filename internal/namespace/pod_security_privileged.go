// Rule namespace/pod-security-privileged: no Namespace other than kube-system should
// enforce the privileged Pod Security level. pod-security.kubernetes.io/enforce=privileged
// turns Pod Security Admission off for the namespace: privileged containers, host
// namespaces and hostPath volumes are all admitted. An invalid level is not reported
// here: Pod Security Admission treats it as restricted.
package namespace

import (
	"fmt"

	psaapi "k8s.io/pod-security-admission/api"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "namespace/pod-security-privileged",
			Title:    "Namespace enforces the privileged Pod Security level",
			Severity: finding.Medium,
			Description: `A Namespace other than kube-system sets pod-security.kubernetes.io/enforce=privileged, which
admits any pod: privileged containers, host namespaces, hostPath volumes, added
capabilities. One pod there can take over its node. Node agents (CNI, CSI, monitoring)
that need this level belong in their own tightly controlled namespaces, with
exceptions recorded. CIS Kubernetes Benchmark 5.2.2 (minimize the admission of
privileged containers); NSA/CISA Kubernetes Hardening Guide, Pod security enforcement;
MITRE ATT&CK T1611 (Escape to Host).`,
			Remediation: "Enforce baseline or restricted in the namespace and move the workloads that truly need privileges to a dedicated namespace whose access is limited, or suppress this finding for that namespace with a stated reason.",
			Frameworks:  finding.Frameworks{CIS: "5.2.2", NSA: nsaPodSecurity, MITRE: mitreEscape},
			Kinds:       []string{"Namespace"},
		},
		Object: checkPodSecurityPrivileged,
		CEL: &rule.CEL{
			Resources:  []rule.APIResources{{Version: "v1", Resources: []string{"namespaces"}}},
			Expression: "object.metadata.?name.orValue('') == 'kube-system' || object.metadata.?labels[?'pod-security.kubernetes.io/enforce'].orValue('') != 'privileged'",
			Message:    "'namespace \"' + object.metadata.?name.orValue('') + '\" enforces Pod Security level privileged: any pod is admitted, privileged containers and host access included'",
		},
	})
}

func checkPodSecurityPrivileged(_ *rule.Context, o *inventory.Object) []rule.Result {
	if o.Kind() != "Namespace" || o.GVK.Group != "" || o.Name() == "kube-system" {
		return nil
	}
	v, ok := o.Meta.GetLabels()[psaapi.EnforceLevelLabel]
	if !ok {
		return nil
	}
	if lvl, err := psaapi.ParseLevel(v); err != nil || lvl != psaapi.LevelPrivileged {
		return nil
	}
	return []rule.Result{{
		Message: fmt.Sprintf("namespace %q enforces Pod Security level privileged: any pod is admitted, privileged containers and host access included", o.Name()),
		Path:    "metadata.labels[" + psaapi.EnforceLevelLabel + "]",
	}}
}

// Rule namespace/pod-security-labels-missing: every Namespace should set the Pod
// Security Admission label pod-security.kubernetes.io/enforce. Without it the namespace
// gets the cluster's default level, which is privileged unless the API server's
// admission configuration says otherwise, and warn or audit labels alone reject
// nothing. The system namespaces kube-system, kube-public and kube-node-lease, which
// users do not deploy into, are reported as low.
package namespace

import (
	"fmt"
	"strings"

	psaapi "k8s.io/pod-security-admission/api"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "namespace/pod-security-labels-missing",
			Title:    "Namespace has no Pod Security enforce label",
			Severity: finding.Medium,
			Description: `A Namespace does not set pod-security.kubernetes.io/enforce, so Pod Security Admission applies
the cluster default to it, which is privileged (everything allowed) unless the API
server's PodSecurity admission configuration sets another default. The warn and audit
labels only report violations; they reject nothing. System namespaces (kube-system,
kube-public, kube-node-lease) are reported as low. CIS Kubernetes Benchmark 5.2.1
(ensure that the cluster has at least one active policy control mechanism in place);
NSA/CISA Kubernetes Hardening Guide, Pod security enforcement; MITRE ATT&CK T1611
(Escape to Host).`,
			Remediation: "Label the namespace pod-security.kubernetes.io/enforce=restricted (or baseline where workloads need it), with pod-security.kubernetes.io/enforce-version pinned, and add warn and audit labels at restricted to see what would break.",
			Frameworks:  finding.Frameworks{CIS: "5.2.1", NSA: nsaPodSecurity, MITRE: mitreEscape},
			Kinds:       []string{"Namespace"},
		},
		Object: checkPodSecurityLabelsMissing,
		CEL: &rule.CEL{
			Resources:  []rule.APIResources{{Version: "v1", Resources: []string{"namespaces"}}},
			Expression: "'pod-security.kubernetes.io/enforce' in object.metadata.?labels.orValue({})",
			Message:    "'namespace \"' + object.metadata.?name.orValue('') + '\" has no pod-security.kubernetes.io/enforce label: pods get the cluster\\'s default Pod Security level, privileged unless configured'",
		},
	})
}

// systemNamespaces are created by Kubernetes and hold only its own components.
var systemNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true}

func checkPodSecurityLabelsMissing(_ *rule.Context, o *inventory.Object) []rule.Result {
	if o.Kind() != "Namespace" || o.GVK.Group != "" {
		return nil
	}
	labels := o.Meta.GetLabels()
	if _, ok := labels[psaapi.EnforceLevelLabel]; ok {
		return nil
	}
	msg := fmt.Sprintf("namespace %q has no %s label: pods get the cluster's default Pod Security level, privileged unless configured", o.Name(), psaapi.EnforceLevelLabel)
	var others []string
	for _, l := range []string{psaapi.WarnLevelLabel, psaapi.AuditLevelLabel} {
		if v, ok := labels[l]; ok {
			others = append(others, fmt.Sprintf("%s=%s", l, v))
		}
	}
	if len(others) > 0 {
		msg += fmt.Sprintf("; %s only report violations, they reject nothing", strings.Join(others, " and "))
	}
	res := rule.Result{Message: msg, Path: "metadata.labels"}
	if len(labels) == 0 {
		res.Path = "metadata"
	}
	if systemNamespaces[o.Name()] {
		low := finding.Low
		res.Severity = &low
	}
	return []rule.Result{res}
}

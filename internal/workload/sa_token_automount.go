package workload

// sa/token-automount: a ServiceAccount should set automountServiceAccountToken: false,
// so that the pods that use it get no API token unless they ask for one. The
// namespace's "default" service account, which every pod without a serviceAccountName
// uses, weighs more.

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "sa/token-automount",
			Title:    "Service account mounts its token by default",
			Severity: finding.Low,
			Description: "A ServiceAccount that leaves automountServiceAccountToken unset or true has its token " +
				"mounted into every pod that uses it and does not opt out. CIS Kubernetes Benchmark 5.1.6 asks that " +
				"tokens are mounted only where necessary and 5.1.5 that default service accounts set " +
				"automountServiceAccountToken: false; the NSA/CISA Kubernetes Hardening Guide (Protecting Pod service " +
				"account tokens) agrees. Findings on a \"default\" service account are medium.",
			Remediation: "Set automountServiceAccountToken: false on the ServiceAccount and let the pods that call the " +
				"API server set automountServiceAccountToken: true themselves.",
			Frameworks: finding.Frameworks{CIS: "5.1.6", NSA: nsaSATokens, MITRE: "T1528"},
			Kinds:      []string{"ServiceAccount"},
		},
		Object: saTokenAutomount,
		CEL: &rule.CEL{
			Resources:  []rule.APIResources{{Version: "v1", Resources: []string{"serviceaccounts"}}},
			Expression: "object.?automountServiceAccountToken.orValue(true) == false",
			Message:    "'service account \"' + object.metadata.?name.orValue('') + '\" does not set automountServiceAccountToken: false, so pods that use it get its token unless they opt out'",
		},
	})
}

func saTokenAutomount(_ *rule.Context, o *inventory.Object) []rule.Result {
	sa, ok := o.Obj.(*corev1.ServiceAccount)
	if !ok || isFalse(sa.AutomountServiceAccountToken) {
		return nil
	}
	msg := "service account " + strconv.Quote(o.Name()) + " does not set automountServiceAccountToken: false, so pods that use it get its token unless they opt out"
	if isTrue(sa.AutomountServiceAccountToken) {
		msg = "service account " + strconv.Quote(o.Name()) + " sets automountServiceAccountToken: true, so pods that use it get its token unless they opt out"
	}
	r := rule.Result{Message: msg, Path: "automountServiceAccountToken"}
	if o.Name() == "default" {
		r.Severity = severity(finding.Medium)
	}
	return []rule.Result{r}
}

package workload

// pod/service-account-token-automount: a pod should not have an API token mounted
// unless it talks to the API server. The token is mounted unless the pod sets
// automountServiceAccountToken: false, or leaves it unset and its ServiceAccount sets
// it false; the pod's field wins over the service account's, as in the API server.
// The ServiceAccount is looked up in the inventory; at admission, where the inventory
// holds only the pod, only the pod's own field can satisfy the rule.

import (
	"strconv"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/service-account-token-automount",
			Title:    "Service account token is mounted into the pod",
			Severity: finding.Medium,
			Description: "Unless told otherwise, Kubernetes mounts a token of the pod's service account into every " +
				"container; anyone who gets code execution in the container can then call the API server with the " +
				"service account's permissions. CIS Kubernetes Benchmark 5.1.6 asks that tokens are mounted only where " +
				"necessary, and the NSA/CISA Kubernetes Hardening Guide (Protecting Pod service account tokens) to disable " +
				"automounting for pods that do not need it. A ServiceAccount in the scan that sets " +
				"automountServiceAccountToken: false satisfies the rule for pods that leave the field unset.",
			Remediation: "Set automountServiceAccountToken: false in the pod spec (or on its ServiceAccount); for a pod " +
				"that does call the API server, mount a short-lived projected token into only the container that needs it.",
			Frameworks: finding.Frameworks{CIS: "5.1.6", NSA: nsaSATokens, MITRE: "T1528"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(tokenAutomount),
		CEL:    &rule.CEL{Unexportable: "the verdict depends on the ServiceAccount object the pod runs as, which a policy cannot read"},
	})
}

func tokenAutomount(c *rule.Context, o *inventory.Object, p podspec.Pod) []rule.Result {
	if isFalse(p.Spec.AutomountServiceAccountToken) {
		return nil
	}
	name, _ := serviceAccountName(p)
	path := p.Path + ".automountServiceAccountToken"
	if isTrue(p.Spec.AutomountServiceAccountToken) {
		return []rule.Result{{
			Message: podNoun(o) + " sets automountServiceAccountToken: true, so every container gets a token of service account " + strconv.Quote(name),
			Path:    path,
		}}
	}
	sa := findServiceAccount(c, o, name)
	if sa != nil && isFalse(sa.AutomountServiceAccountToken) {
		return nil
	}
	why := " is not in the scan"
	if sa != nil {
		why = " does not set it to false either"
	}
	return []rule.Result{{
		Message: podNoun(o) + " does not set automountServiceAccountToken: false and service account " + strconv.Quote(name) + why + ", so every container gets its token",
		Path:    path,
	}}
}

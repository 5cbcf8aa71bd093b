package workload

// pod/default-service-account: a pod should run as a service account of its own, not
// as the namespace's "default" one. Every pod that names none shares the default
// identity, so a permission granted to it for one workload reaches them all.

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/default-service-account",
			Title:    "Pod uses the default service account",
			Severity: finding.Low,
			Description: "Pods that set no serviceAccountName run as the namespace's \"default\" service account, " +
				"which every such pod shares: RBAC granted to it for one workload is granted to all, and the audit " +
				"log cannot tell them apart. CIS Kubernetes Benchmark 5.1.5 asks that default service accounts are not " +
				"actively used; the NSA/CISA Kubernetes Hardening Guide (Protecting Pod service account tokens) and " +
				"kube-linter (default-service-account) agree.",
			Remediation: "Create a ServiceAccount for the workload, grant it only what it needs, and set " +
				"serviceAccountName to it in the pod spec.",
			Frameworks: finding.Frameworks{CIS: "5.1.5", NSA: nsaSATokens, MITRE: "T1528"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(defaultServiceAccount),
		CEL: &rule.CEL{Pod: true,
			Expression: "(variables.spec.?serviceAccountName.orValue('') != '' ? variables.spec.serviceAccountName : variables.spec.?serviceAccount.orValue('') != '' ? variables.spec.serviceAccount : 'default') != 'default'",
			Message:    "'pod runs as the namespace\\'s \"default\" service account'",
		},
	})
}

func defaultServiceAccount(_ *rule.Context, o *inventory.Object, p podspec.Pod) []rule.Result {
	name, field := serviceAccountName(p)
	if name != "default" {
		return nil
	}
	msg := podNoun(o) + " sets no serviceAccountName, so it runs as the namespace's \"default\" service account"
	if p.Spec.ServiceAccountName != "" || p.Spec.DeprecatedServiceAccount != "" {
		msg = podNoun(o) + " runs as the namespace's \"default\" service account"
	}
	return []rule.Result{{Message: msg, Path: p.Path + "." + field}}
}

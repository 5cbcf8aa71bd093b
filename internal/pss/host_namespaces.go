// Rule pod/host-namespaces: a pod must not share the node's network, process or IPC
// namespace (spec.hostNetwork, spec.hostPID, spec.hostIPC set to true). Each gives the
// pod a view of the node that isolation is meant to hide. The verdict is the library's
// baseline check "hostNamespaces"; each namespace is reported at its own field.
package pss

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	register(pssRule{
		check: "hostNamespaces",
		meta: rule.Meta{
			ID:       "pod/host-namespaces",
			Title:    "Pod shares the node's namespaces",
			Severity: finding.High,
			Description: "A pod with hostNetwork, hostPID or hostIPC set to true shares the node's network stack, process " +
				"table or IPC namespace: it can listen to node traffic and reach services bound to the node's localhost, " +
				"see and signal every process of the node (and read their environment), or read the shared memory of " +
				"other workloads. Pod Security Standards, baseline level, control Host Namespaces (check hostNamespaces " +
				"of k8s.io/pod-security-admission); CIS Kubernetes Benchmark 5.2.3 (hostPID), 5.2.4 (hostIPC) and 5.2.5 " +
				"(hostNetwork); NSA/CISA Kubernetes Hardening Guide, Pod security.",
			Remediation: "Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false) and reach the workload through a Service.",
			Frameworks:  finding.Frameworks{CIS: "5.2.3", NSA: "pod-security", MITRE: "T1611"},
		},
		where: where{pod: []string{"spec.hostNetwork", "spec.hostPID", "spec.hostIPC"}},
		cel: &rule.CEL{Pod: true,
			Expression: "!variables.spec.?hostNetwork.orValue(false) && !variables.spec.?hostPID.orValue(false) && !variables.spec.?hostIPC.orValue(false)",
			Message:    "'pod must not set ' + ['hostNetwork', 'hostPID', 'hostIPC'].filter(f, variables.spec[?f].orValue(false) == true).map(f, f + '=true').join(', ')",
		},
	})
}

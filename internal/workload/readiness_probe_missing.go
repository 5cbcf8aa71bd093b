package workload

// pod/readiness-probe-missing: a long-running container should have a readiness probe,
// so that Services send it traffic and rollouts move on only once it can serve. Init
// and ephemeral containers, Jobs, CronJobs and Pods that do not restart are skipped
// (probes.go).

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/readiness-probe-missing",
			Title:    "Container has no readiness probe",
			Severity: finding.Low,
			Description: "Without a readiness probe a container counts as ready as soon as it starts: Services send it " +
				"requests it cannot answer yet, and a rolling update replaces working pods with broken ones without " +
				"waiting. This is an availability practice (Kubernetes configuration best practices, kube-linter " +
				"no-readiness-probe, Kubescape C-0018), mapped to MITRE T1499 because a bad rollout is a self-inflicted " +
				"denial of service.",
			Remediation: "Add a readinessProbe (httpGet, tcpSocket, grpc or exec) that succeeds only when the container " +
				"can serve requests.",
			Frameworks: finding.Frameworks{MITRE: "T1499"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(probeCheck("readinessProbe", func(c *corev1.Container) *corev1.Probe { return c.ReadinessProbe },
			"so it receives traffic and counts as available before it can serve")),
		CEL: &rule.CEL{Pod: true,
			Expression: probePresentCEL("readinessProbe"),
			Message:    "'containers ' + " + probeMissingNamesCEL("readinessProbe") + " + ' have no readinessProbe'",
		},
	})
}

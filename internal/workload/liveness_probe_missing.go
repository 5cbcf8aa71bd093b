package workload

// pod/liveness-probe-missing: a long-running container should have a liveness probe,
// so that the kubelet restarts it when it hangs without exiting. Init and ephemeral
// containers, Jobs, CronJobs and Pods that do not restart are skipped (probes.go).

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/liveness-probe-missing",
			Title:    "Container has no liveness probe",
			Severity: finding.Info,
			Description: "Without a liveness probe the kubelet restarts a container only when its process exits; a " +
				"deadlocked or wedged service stays up and unavailable until someone notices. This is an availability " +
				"practice (Kubernetes configuration best practices, kube-linter no-liveness-probe, Kubescape C-0056), " +
				"mapped to MITRE T1499 because a hung service is a denial of service that nothing heals. A liveness " +
				"probe that is too strict causes restarts of its own, hence the info severity.",
			Remediation: "Add a livenessProbe (httpGet, tcpSocket, grpc or exec) that fails only when the process cannot " +
				"recover by itself, with a timeout and failureThreshold generous enough for slow moments.",
			Frameworks: finding.Frameworks{MITRE: "T1499"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(probeCheck("livenessProbe", func(c *corev1.Container) *corev1.Probe { return c.LivenessProbe },
			"so the kubelet restarts it only when its process exits")),
		CEL: &rule.CEL{Pod: true,
			Expression: probePresentCEL("livenessProbe"),
			Message:    "'containers ' + " + probeMissingNamesCEL("livenessProbe") + " + ' have no livenessProbe'",
		},
	})
}

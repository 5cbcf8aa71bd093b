package workload

// The condition shared by pod/liveness-probe-missing and pod/readiness-probe-missing:
// which containers a probe makes sense for. Probes are for long-running services: only
// regular containers (not init or ephemeral ones) of pods that restart them
// (restartPolicy Always, the default), so Jobs, CronJobs and run-to-completion Pods are
// skipped.

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// probeCheck reports regular containers of long-running pods that lack a probe.
func probeCheck(field string, get func(*corev1.Container) *corev1.Probe, why string) podCheck {
	return func(_ *rule.Context, o *inventory.Object, p podspec.Pod) []rule.Result {
		switch o.Kind() {
		case "Job", "CronJob":
			return nil
		}
		if rp := p.Spec.RestartPolicy; rp != "" && rp != corev1.RestartPolicyAlways {
			return nil
		}
		var out []rule.Result
		for _, ct := range p.Containers() {
			if ct.Kind != podspec.Regular || get(ct.Container) != nil {
				continue
			}
			out = append(out, rule.Result{
				Message: fmt.Sprintf("%s has no %s, %s", ct.Describe(), field, why),
				Path:    ct.Path + "." + field,
			})
		}
		return out
	}
}

package workload

// The condition shared by pod/liveness-probe-missing and pod/readiness-probe-missing:
// which containers a probe makes sense for. Probes are for long-running services: only
// regular containers (not init or ephemeral ones) of pods that restart them
// (restartPolicy Always, the default), so Jobs, CronJobs and run-to-completion Pods are
// skipped.

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// probeCheck reports regular containers of long-running pods that lack a probe.
func probeCheck(field string, get func(*corev1.Container) *corev1.Probe, why string) podCheck {
	paths := podspec.NewField(field)
	return func(_ *rule.Context, o *inventory.Object, p podspec.Pod) []rule.Result {
		switch o.Kind() {
		case "Job", "CronJob":
			return nil
		}
		if rp := p.Spec.RestartPolicy; rp != "" && rp != corev1.RestartPolicyAlways {
			return nil
		}
		var out []rule.Result
		for ct := range p.AllContainers {
			if ct.Kind != podspec.Regular || get(ct.Container) != nil {
				continue
			}
			out = append(out, rule.Result{
				Message: ct.Sentence(" has no ", field, ", ", why),
				Path:    paths.Of(ct),
			})
		}
		return out
	}
}

// probePresentCEL: Jobs, CronJobs and pods that do not restart their containers pass;
// otherwise every regular container has the probe.
func probePresentCEL(field string) string {
	return "object.kind in ['Job', 'CronJob'] || !(variables.spec.?restartPolicy.orValue('') in ['', 'Always']) || variables.spec.?containers.orValue([]).all(c, has(c." + field + "))"
}

// probeMissingNamesCEL: the quoted names of the regular containers without the probe.
func probeMissingNamesCEL(field string) string {
	return "variables.spec.?containers.orValue([]).filter(c, !has(c." + field + ")).map(c, '\"' + c.name + '\"').join(', ')"
}

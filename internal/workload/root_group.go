package workload

// pod/root-group: no process of a pod should run with group ID 0. Group root is set by
// runAsGroup: 0 (on the pod, for the containers that do not set their own, or on a
// container), by fsGroup: 0 (which also makes every process a member of group 0 and
// gives the volumes to group root), or by a 0 in supplementalGroups. Files that the
// host or image leaves group-writable for root become writable to the container.
// Windows pods are skipped: these fields are forbidden there.

import (
	"fmt"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "pod/root-group",
			Title:    "Container runs with the root group",
			Severity: finding.Medium,
			Description: "A process with group ID 0, as its primary or a supplementary group, reads and writes every " +
				"file the image or a mounted host path leaves to group root, which defeats much of running as a " +
				"non-root user. The NSA/CISA Kubernetes Hardening Guide (\"Non-root\" containers) asks for non-root users " +
				"and groups, and CIS Kubernetes Benchmark 5.6.3 for security contexts that say so.",
			Remediation: "Set runAsGroup, fsGroup and supplementalGroups to a non-zero group ID (for example 10001) " +
				"that owns what the process needs.",
			Frameworks: finding.Frameworks{CIS: "5.6.3", NSA: nsaNonRoot, MITRE: "T1611"},
			Kinds:      podspec.Kinds,
		},
		Object: forPods(rootGroup),
		CEL: &rule.CEL{Pod: true,
			Expression: "variables.windows || !(" + rootGroupCEL + ")",
			Message:    "'pod or containers run with group 0, the root group (runAsGroup, fsGroup or supplementalGroups)'",
		},
	})
}

func rootGroup(_ *rule.Context, o *inventory.Object, p podspec.Pod) []rule.Result {
	if isWindows(p) {
		return nil
	}
	var out []rule.Result
	containers := p.AllContainers
	if psc := p.Spec.SecurityContext; psc != nil {
		if psc.RunAsGroup != nil && *psc.RunAsGroup == 0 {
			var inherit []string
			for ct := range containers {
				if ct.SecurityContext == nil || ct.SecurityContext.RunAsGroup == nil {
					inherit = append(inherit, ct.Describe())
				}
			}
			if len(inherit) > 0 {
				out = append(out, rule.Result{
					Message: fmt.Sprintf("%s sets securityContext.runAsGroup: 0, the root group, for %s", podNoun(o), strings.Join(inherit, ", ")),
					Path:    p.Path + ".securityContext.runAsGroup",
				})
			}
		}
		if psc.FSGroup != nil && *psc.FSGroup == 0 {
			out = append(out, rule.Result{
				Message: fmt.Sprintf("%s sets securityContext.fsGroup: 0, which adds the root group to every container and gives volumes to it", podNoun(o)),
				Path:    p.Path + ".securityContext.fsGroup",
			})
		}
		for i, g := range psc.SupplementalGroups {
			if g == 0 {
				out = append(out, rule.Result{
					Message: fmt.Sprintf("%s lists group 0, the root group, in securityContext.supplementalGroups", podNoun(o)),
					Path:    fmt.Sprintf("%s.securityContext.supplementalGroups[%d]", p.Path, i),
				})
			}
		}
	}
	for ct := range containers {
		if sc := ct.SecurityContext; sc != nil && sc.RunAsGroup != nil && *sc.RunAsGroup == 0 {
			out = append(out, rule.Result{
				Message: fmt.Sprintf("%s sets securityContext.runAsGroup: 0, the root group", ct.Describe()),
				Path:    runAsGroupPath.Of(ct),
			})
		}
	}
	return out
}

// rootGroupCEL: the pod runs a container with group 0, as pod/root-group reports.
const rootGroupCEL = "(variables.spec.?securityContext.?runAsGroup.orValue(1) == 0 && variables.containers.exists(c, !c.?securityContext.?runAsGroup.hasValue())) || " +
	"variables.spec.?securityContext.?fsGroup.orValue(1) == 0 || " +
	"variables.spec.?securityContext.?supplementalGroups.orValue([]).exists(g, g == 0) || " +
	"variables.containers.exists(c, c.?securityContext.?runAsGroup.orValue(1) == 0)"

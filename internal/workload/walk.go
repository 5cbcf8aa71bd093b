package workload

// The walks the rules of this package share: every pod rule is a condition over one
// pod template, or over each of its containers, and nothing else.

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// Sections of the NSA/CISA Kubernetes Hardening Guide (v1.2) the rules cite.
const (
	nsaPodSecurity      = "pod-security"
	nsaNonRoot          = "pod-security/non-root-containers"
	nsaImmutableFS      = "pod-security/immutable-file-systems"
	nsaSecureImages     = "pod-security/secure-images"
	nsaSATokens         = "pod-security/service-account-tokens"
	nsaHardenedRuntime  = "pod-security/hardening-container-environments"
	nsaResourcePolicies = "network-separation/resource-policies"
)

// Paths of the container fields that rules report most, made once: their findings
// share them (podspec.Field).
var (
	imagePath        = podspec.NewField("image")
	pullPolicyPath   = podspec.NewField("imagePullPolicy")
	readOnlyRootPath = podspec.NewField("securityContext.readOnlyRootFilesystem")
	runAsGroupPath   = podspec.NewField("securityContext.runAsGroup")
)

// podCheck is a rule's condition over one pod template.
type podCheck func(c *rule.Context, o *inventory.Object, p podspec.Pod) []rule.Result

// forPods turns a pod condition into an Object check: it runs on every object that
// carries a pod template and ignores the others.
func forPods(check podCheck) func(*rule.Context, *inventory.Object) []rule.Result {
	return func(c *rule.Context, o *inventory.Object) []rule.Result {
		p, ok := podspec.Of(o)
		if !ok {
			return nil
		}
		return check(c, o, p)
	}
}

// containerSet selects the container lists a per-container rule looks at.
type containerSet uint8

const (
	initContainers containerSet = 1 << iota
	regularContainers
	ephemeralContainers

	allContainers = initContainers | regularContainers | ephemeralContainers
)

func (s containerSet) has(k podspec.ContainerKind) bool {
	switch k {
	case podspec.Init:
		return s&initContainers != 0
	case podspec.Regular:
		return s&regularContainers != 0
	case podspec.Ephemeral:
		return s&ephemeralContainers != 0
	}
	return false
}

// forContainers turns a per-container condition into an Object check over the
// containers of the selected lists.
func forContainers(set containerSet, check func(p podspec.Pod, ct podspec.Container) []rule.Result) func(*rule.Context, *inventory.Object) []rule.Result {
	return forPods(func(c *rule.Context, _ *inventory.Object, p podspec.Pod) []rule.Result {
		var out []rule.Result
		for ct := range p.AllContainers {
			if c.Err() != nil {
				return out // past the deadline: the evaluation is abandoned
			}
			if !set.has(ct.Kind) {
				continue
			}
			if rs := check(p, ct); out == nil {
				out = rs // the first container's results: no copy
			} else {
				out = append(out, rs...)
			}
		}
		return out
	})
}

// isSidecar reports an init container that keeps running beside the app containers
// (restartPolicy: Always, Kubernetes 1.29+).
func isSidecar(ct podspec.Container) bool {
	return ct.Kind == podspec.Init && ct.RestartPolicy != nil && *ct.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// isWindows reports a pod that declares spec.os.name: windows; Linux-only security
// fields are forbidden there by API validation.
func isWindows(p podspec.Pod) bool {
	return p.Spec.OS != nil && p.Spec.OS.Name == corev1.Windows
}

// podNoun names the pod in messages: "pod" for a Pod, "pod template" for a workload.
func podNoun(o *inventory.Object) string {
	if o.Kind() == "Pod" {
		return "pod"
	}
	return "pod template"
}

// severity returns a pointer for Result.Severity.
func severity(s finding.Severity) *finding.Severity { return &s }

func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

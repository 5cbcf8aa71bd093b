package workload

// image/pull-policy-not-always: a container whose image is referenced by a mutable tag
// should have imagePullPolicy: Always. With IfNotPresent or Never the kubelet starts
// whatever image it cached under that name: possibly stale or tampered content, and a
// private image another tenant's pod pulled with credentials this pod does not have.
//
// The rule judges the effective policy. When none is written, the API server defaults
// it — Always for the tag "latest" or no tag, IfNotPresent for any other tag — so a
// manifest, the object at admission and the object read back from the cluster give the
// same verdict. Images pinned by digest pass: a cached digest is the same content.

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "image/pull-policy-not-always",
			Title:    "Mutable image is not always pulled",
			Severity: finding.Low,
			Description: "With imagePullPolicy IfNotPresent or Never, the kubelet reuses an image already on the node " +
				"under the same tag: a stale or tampered copy, or a private image that another tenant pulled with its " +
				"own credentials. CIS Kubernetes Benchmark 1.2.11 (AlwaysPullImages admission plugin) gives this rationale " +
				"for multi-tenant clusters; Kubescape (C-0075) checks the policy of mutable images. When no policy is " +
				"written the API defaults it, IfNotPresent for every tag but latest, and the rule judges that default. " +
				"Images pinned by digest pass.",
			Remediation: "Pin the image by digest, or set imagePullPolicy: Always on the container (or enable the " +
				"AlwaysPullImages admission plugin in multi-tenant clusters).",
			Frameworks: finding.Frameworks{CIS: "1.2.11", NSA: nsaSecureImages, MITRE: "T1525"},
			Kinds:      podspec.Kinds,
		},
		Object: forContainers(allContainers, pullPolicyNotAlways),
		CEL: &rule.CEL{Pod: true,
			Expression: "variables.containers.all(c, !(" + pullNotAlwaysCEL + "))",
			Message:    celexpr.ContainersWhere(pullNotAlwaysCEL) + " + ' may run a stale copy of a mutable image: imagePullPolicy is not Always'",
		},
	})
}

func pullPolicyNotAlways(_ podspec.Pod, ct podspec.Container) []rule.Result {
	ref, ok := containerImage(ct.Image)
	if !ok || ref.Pinned() {
		return nil
	}
	path := pullPolicyPath.Of(ct)
	switch ct.ImagePullPolicy {
	case corev1.PullAlways:
		return nil
	case "":
		if ref.DefaultPullPolicy() == corev1.PullAlways {
			return nil
		}
		return []rule.Result{{
			Message: ct.Sentence(" sets no imagePullPolicy, so the API defaults it to IfNotPresent for the mutable image ", strconv.Quote(ct.Image)),
			Path:    path,
		}}
	}
	return []rule.Result{{
		Message: ct.Sentence(" sets imagePullPolicy: ", string(ct.ImagePullPolicy), " for the mutable image ", strconv.Quote(ct.Image)),
		Path:    path,
	}}
}

// pullNotAlwaysCEL: container c's mutable image is not always pulled: imagePullPolicy is
// set to something other than Always, or unset with a tag other than latest (the API
// then defaults it to IfNotPresent).
var pullNotAlwaysCEL = "(" + imageMutableCEL("c.?image.orValue('')") + " && c.?imagePullPolicy.orValue('') != 'Always' && " +
	"(c.?imagePullPolicy.orValue('') != '' || !" + imageLatestCEL("c.?image.orValue('')") + "))"

package workload

// image/invalid-reference: a container image should be a reference the kubelet can
// parse. The kubelet parses every image with distribution/reference's
// ParseNormalizedNamed before it pulls, and refuses what that parser refuses
// (InvalidImageName): a truncated or upper-case digest, an unknown digest algorithm, an
// empty tag, an upper-case repository, a path over 255 characters. Such a pod never
// starts, and no other image rule can judge it — which tag it names, whether it is
// pinned, which registry it comes from — so a typo would otherwise pass every check.
// An empty image is not reported: workload templates may leave it to a later tool
// (kustomize images, a mutating webhook), and the API server refuses it on a Pod.

import (
	"fmt"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	invalid := "c.?image.orValue('') != '' && !" + imageValidCEL("c.?image.orValue('')")
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "image/invalid-reference",
			Title:    "Image reference is not valid",
			Severity: finding.Medium,
			Description: "The image is not a reference the kubelet can parse (it uses distribution/reference's " +
				"ParseNormalizedNamed, as Moat does): a digest of the wrong length, in upper case or of an unknown " +
				"algorithm (nginx@sha256:abc), an empty tag (nginx:), an upper-case repository, a path over 255 " +
				"characters. The pod fails with InvalidImageName, and no image rule can say which tag, digest or " +
				"registry it names, so a typo would otherwise pass every image check. The NSA/CISA Kubernetes " +
				"Hardening Guide (Building secure container images) asks for known, scanned images. An empty image " +
				"is not reported: workload templates may leave it to kustomize or a mutating webhook.",
			Remediation: "Correct the reference to [registry/]repository[:tag][@sha256:<64 lower-case hex digits>], with a " +
				"lower-case repository, and check it with `docker buildx imagetools inspect` or `crane digest`.",
			Frameworks: finding.Frameworks{NSA: nsaSecureImages, MITRE: "T1525"},
			Kinds:      podspec.Kinds,
		},
		Object: forContainers(allContainers, invalidReference),
		CEL: &rule.CEL{Pod: true,
			Expression: "variables.containers.all(c, !(" + invalid + "))",
			Message:    celexpr.ContainersWhere(invalid) + " + ' have image references the kubelet cannot parse (InvalidImageName)'",
		},
	})
}

func invalidReference(_ podspec.Pod, ct podspec.Container) []rule.Result {
	if ct.Image == "" {
		return nil
	}
	_, err := parseImageRef(ct.Image)
	if err == nil {
		return nil
	}
	return []rule.Result{{
		Message: fmt.Sprintf("%s has image %q, which is not a valid reference (%s): the kubelet cannot pull it (InvalidImageName), and no image rule can judge it",
			ct.Describe(), ct.Image, whyInvalid(ct.Image, err)),
		Path: imagePath.Of(ct),
	}}
}

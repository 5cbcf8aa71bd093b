package workload

// image/not-pinned-by-digest: a container image should be referenced by digest
// (@sha256:...), the only reference whose content cannot change after review. Any tag,
// a version tag included, can be pushed again.

import (
	"strconv"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "image/not-pinned-by-digest",
			Title:    "Image is not pinned by digest",
			Severity: finding.Low,
			Description: "A tag is a mutable pointer: whoever can push to the repository, or compromises the registry, " +
				"can change what a version tag names, and nodes that pull later run the new content. Only a digest " +
				"(image@sha256:...) names fixed content, which is what image scanning and signing vouch for. The NSA/CISA " +
				"Kubernetes Hardening Guide (Building secure container images) asks for known, scanned images; CIS " +
				"Kubernetes Benchmark 5.5.1 (image provenance) and SLSA practice rely on immutable references.",
			Remediation: "Reference the image by digest, e.g. registry.example.com/app:1.4.2@sha256:<digest>, and let a bot " +
				"such as Renovate update the digest.",
			Frameworks: finding.Frameworks{CIS: "5.5.1", NSA: nsaSecureImages, MITRE: "T1525"},
			Kinds:      podspec.Kinds,
		},
		Object: forContainers(allContainers, notPinnedByDigest),
		CEL: &rule.CEL{Pod: true,
			Expression: "variables.containers.all(c, !(" + imageMutableCEL("c.?image.orValue('')") + "))",
			Message:    celexpr.ContainersWhere(imageMutableCEL("c.?image.orValue('')")) + " + ' use images not pinned by a digest'",
		},
	})
}

func notPinnedByDigest(_ podspec.Pod, ct podspec.Container) []rule.Result {
	ref, ok := containerImage(ct.Image)
	if !ok || ref.Pinned() {
		return nil
	}
	return []rule.Result{{
		Message: ct.Sentence(" uses image ", strconv.Quote(ct.Image), ", which is not pinned by a digest"),
		Path:    imagePath.Of(ct),
	}}
}

package workload

// image/latest-tag: a container image should not be referenced by the tag "latest",
// written or implied by writing no tag, unless a digest pins it. What runs then
// depends on when and where the image was pulled: two replicas may run different
// code, and a rollback does not roll back.

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
			ID:       "image/latest-tag",
			Title:    "Image uses the latest tag",
			Severity: finding.Medium,
			Description: "An image referenced as \"latest\", or with no tag at all, which means the same, names whatever " +
				"was pushed last: the code that runs is not the code that was reviewed and scanned, replicas drift apart, " +
				"and a poisoned push reaches the cluster at the next pod start. The NSA/CISA Kubernetes Hardening Guide " +
				"(Building secure container images) asks for known, scanned images; the Kubernetes configuration best " +
				"practices, and kube-linter (latest-tag) advise against the tag. A reference pinned by " +
				"digest passes even when it also names a tag.",
			Remediation: "Reference the image by an immutable version tag, or better by digest (image@sha256:...), and " +
				"update it through your release process.",
			Frameworks: finding.Frameworks{NSA: nsaSecureImages, MITRE: "T1525"},
			Kinds:      podspec.Kinds,
		},
		Object: forContainers(allContainers, latestTag),
		CEL: &rule.CEL{Pod: true,
			Expression: "variables.containers.all(c, !(" + imageLatestCEL("c.?image.orValue('')") + "))",
			Message:    celexpr.ContainersWhere(imageLatestCEL("c.?image.orValue('')")) + " + ' use the latest tag, written or implied'",
		},
	})
}

func latestTag(_ podspec.Pod, ct podspec.Container) []rule.Result {
	ref, ok := containerImage(ct.Image)
	if !ok || !ref.Latest() {
		return nil
	}
	msg := ct.Sentence(" uses image ", strconv.Quote(ct.Image), ", a moving tag")
	if ref.Tag == "" {
		msg = ct.Sentence(" uses image ", strconv.Quote(ct.Image), " with no tag, which pulls ", strconv.Quote(ct.Image+":latest"))
	}
	return []rule.Result{{Message: msg, Path: imagePath.Of(ct)}}
}

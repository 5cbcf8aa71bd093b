package image

import (
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// The image rules have no check over Kubernetes objects: their findings are made by
// the image scan (moat image scan, moat scan --images, the admission webhook's signature
// check) from what the images hold. They are registered for their metadata, so that they
// are listed, documented, filtered and excepted like every rule.

// Group and Kind name the resource image findings are about: the image, as workloads
// reference it. The findings name the workloads that run it.
const (
	Group      = "image.moat.dev"
	APIVersion = Group + "/v1alpha1"
	Kind       = "Image"
)

var (
	// VulnerabilityRule is a known vulnerability of a package in an image.
	VulnerabilityRule = rule.Meta{
		ID:       "image/vulnerability",
		Title:    "Image contains a package with a known vulnerability",
		Severity: finding.High,
		Description: `A package inside the image (an OS package, a Go module compiled into a binary, a
language library) has a version that an advisory of the OSV database lists as vulnerable.
The finding's severity is the advisory's CVSS base score (critical 9.0+, high 7.0+, medium
4.0+, low below), high when the advisory gives none. Distribution packages are matched
against the distribution's own advisories, which know its backported fixes.`,
		Remediation: "Rebuild the image on a base and with dependencies at or past the fixed version the finding names, or remove the package if nothing needs it.",
		Frameworks:  finding.Frameworks{NSA: "secure-images", MITRE: "T1190"},
		Kinds:       []string{Kind},
	}
	// EndOfLifeOSRule is an image whose OS release no longer gets security updates.
	EndOfLifeOSRule = rule.Meta{
		ID:       "image/end-of-life-os",
		Title:    "Image is built on an operating system release past its end of life",
		Severity: finding.High,
		Description: `The image's /etc/os-release names a distribution release whose security support has
ended: new vulnerabilities of its packages are no longer fixed, and no scanner can report
what nobody tracks any more.`,
		Remediation: "Rebuild the image on a supported release of the distribution (or a distroless or scratch base).",
		Frameworks:  finding.Frameworks{NSA: "secure-images"},
		Kinds:       []string{Kind},
	}
	// SignatureMissingRule is an image the config file requires to be signed that has no
	// signature the policy accepts.
	SignatureMissingRule = rule.Meta{
		ID:       "image/signature-missing",
		Title:    "Image has no signature the signing policy accepts",
		Severity: finding.High,
		Description: `The config file's signing policy (imageSignatures) requires the images matching a
rule to be signed by a given key or keyless identity, and no signature of this image's
digest verifies: it is unsigned, signed by someone else, or signed for another digest.
Without it, nothing proves the image is the one the team built.`,
		Remediation: "Sign the image's digest in the release pipeline (cosign sign, or a Sigstore bundle attached as an OCI referrer) with the key or identity the policy names, and deploy it by digest.",
		Frameworks:  finding.Frameworks{CIS: "5.5.1", NSA: "secure-images", MITRE: "T1525"},
		Kinds:       []string{Kind},
	}
)

func init() {
	rule.RegisterMeta(VulnerabilityRule)
	rule.RegisterMeta(EndOfLifeOSRule)
	rule.RegisterMeta(SignatureMissingRule)
}

// Resource is the resource of an image's findings.
func Resource(ref string) finding.Resource {
	return finding.Resource{APIVersion: APIVersion, Kind: Kind, Name: ref}
}

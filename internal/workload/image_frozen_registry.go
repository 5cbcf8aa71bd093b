package workload

// image/frozen-registry: a container image should not come from k8s.gcr.io, the
// Kubernetes project's old registry, frozen since 3 April 2023, or from
// gcr.io/google_containers (gcr.io/google-containers), the project it was an alias of.
// Nothing has been pushed there since: no new releases and no security fixes of old
// ones, and the registry may stop serving at any time. registry.k8s.io serves the
// same images under the same paths, and every release since. The registry's host is
// compared without case and port.

import (
	"fmt"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/celexpr"
)

func init() {
	frozen := frozenRegistryCEL("c.?image.orValue('')")
	rule.Register(&rule.Rule{
		Meta: rule.Meta{
			ID:       "image/frozen-registry",
			Title:    "Image comes from the frozen k8s.gcr.io registry",
			Severity: finding.Medium,
			Description: "The image is pulled from k8s.gcr.io, or from gcr.io/google_containers whose alias it was. The " +
				"Kubernetes project froze that registry on 3 April 2023 and moved to registry.k8s.io: nothing is pushed " +
				"there any more, so these images get no security fixes and no new releases, and the old registry may " +
				"stop serving them, leaving pods unable to start on a new node. The NSA/CISA Kubernetes Hardening Guide " +
				"(Building secure container images) asks for maintained, scanned images; Kubescape C-0253 (deprecated " +
				"Kubernetes image registry) flags the old registry too.",
			Remediation: "Pull the same path from registry.k8s.io (k8s.gcr.io/pause:3.9 becomes registry.k8s.io/pause:3.9), " +
				"move to a maintained release, and mirror it into your own registry if you need one.",
			Frameworks: finding.Frameworks{NSA: nsaSecureImages, MITRE: "T1525"},
			Kinds:      podspec.Kinds,
		},
		Object: forContainers(allContainers, frozenRegistry),
		CEL: &rule.CEL{Pod: true,
			Expression: "variables.containers.all(c, !(" + frozen + "))",
			Message:    celexpr.ContainersWhere(frozen) + " + ' pull images from k8s.gcr.io, frozen since April 2023: use registry.k8s.io'",
		},
	})
}

func frozenRegistry(_ podspec.Pod, ct podspec.Container) []rule.Result {
	ref, ok := containerImage(ct.Image)
	if !ok {
		return nil
	}
	path, frozen := frozenPath(ref)
	if !frozen {
		return nil
	}
	moved := imageRef{Registry: "registry.k8s.io", Repository: path, Tag: ref.Tag, Digest: ref.Digest}
	return []rule.Result{{
		Message: fmt.Sprintf("%s pulls image %q from %s, frozen since April 2023: it gets no fixes and may stop being served; pull %s instead",
			ct.Describe(), ct.Image, ref.Registry, moved),
		Path: imagePath.Of(ct),
	}}
}

// frozenPath reports an image of the frozen registry, with its path there (which
// registry.k8s.io serves under the same name).
func frozenPath(ref imageRef) (string, bool) {
	host := strings.ToLower(registryHost(ref.Registry))
	switch {
	case host == "k8s.gcr.io":
		return ref.Repository, true
	case host == "gcr.io":
		for _, p := range []string{"google_containers/", "google-containers/"} {
			if rest, ok := strings.CutPrefix(ref.Repository, p); ok {
				return rest, true
			}
		}
	}
	return "", false
}

// registryHost is a registry's host without its port: "ghcr.io" of "ghcr.io:443",
// "[fd00::1]" of "[fd00::1]:5000".
func registryHost(r string) string {
	if i := strings.LastIndexByte(r, ':'); i >= 0 && !strings.HasSuffix(r, "]") {
		return r[:i]
	}
	return r
}

// frozenRegistryCEL: x is a valid reference to the frozen registry: its first
// component, a domain, is k8s.gcr.io, or gcr.io with a path under google_containers or
// google-containers (host without case and port).
func frozenRegistryCEL(x string) string {
	host := fmt.Sprintf("%s.split('/')[0].split(':')[0].lowerAscii()", x)
	return fmt.Sprintf("(%[1]s && %[2]s.contains('/') && (%[3]s == 'k8s.gcr.io' || (%[3]s == 'gcr.io' && %[2]s.split('/').size() > 2 && %[2]s.split('/')[1] in ['google_containers', 'google-containers'])))",
		imageValidCEL(x), x, host)
}

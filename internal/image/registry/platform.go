package registry

import (
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// DefaultPlatform is the platform chosen in multi-arch indexes unless told otherwise.
const DefaultPlatform = "linux/amd64"

// ParsePlatform parses "os/arch[/variant]" ("linux/amd64", "linux/arm64/v8").
func ParsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
		return v1.Platform{}, fmt.Errorf("platform %q: want os/arch[/variant], such as linux/amd64", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// platformString writes p as ParsePlatform reads it.
func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// variantOf is p's variant with the one variant an architecture has by default filled
// in: arm64 is v8 whether or not the index says so.
func variantOf(p v1.Platform) string {
	if p.Architecture == "arm64" && p.Variant == "" {
		return "v8"
	}
	return p.Variant
}

// choosePlatform picks want's image among an index's manifests: the one of its OS and
// architecture, and of its variant when want names one, preferring an exact variant.
// An index of one image that says no platform is taken as it is.
func choosePlatform(manifests []v1.Descriptor, want v1.Platform) (v1.Descriptor, error) {
	var found []v1.Descriptor
	for _, d := range manifests {
		p := d.Platform
		if p == nil || !d.MediaType.IsImage() || p.OS != want.OS || p.Architecture != want.Architecture {
			continue
		}
		if want.Variant != "" && variantOf(*p) != variantOf(want) {
			continue
		}
		found = append(found, d)
	}
	for _, d := range found {
		if variantOf(*d.Platform) == variantOf(want) {
			return d, nil
		}
	}
	if len(found) > 0 {
		return found[0], nil
	}
	if len(manifests) == 1 && manifests[0].Platform == nil && manifests[0].MediaType.IsImage() {
		return manifests[0], nil
	}
	return v1.Descriptor{}, fmt.Errorf("no image for platform %s; the index has %s",
		platformString(want), availablePlatforms(manifests))
}

// availablePlatforms lists the platforms of an index's images for an error, leaving out
// the attestation manifests that BuildKit adds as "unknown/unknown".
func availablePlatforms(manifests []v1.Descriptor) string {
	var out []string
	for _, d := range manifests {
		if d.Platform == nil || d.Platform.OS == "unknown" || !d.MediaType.IsImage() {
			continue
		}
		if s := platformString(*d.Platform); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return "no image that names its platform"
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

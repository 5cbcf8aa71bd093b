package workload

// A container image reference parser, following the grammar of
// github.com/distribution/reference that container runtimes and the kubelet use:
//
//	reference  := name [ ":" tag ] [ "@" digest ]
//	name       := [ registry "/" ] path-component { "/" path-component }
//	registry   := host [ ":" port ]     (IPv6 hosts in brackets)
//	tag        := [\w][\w.-]{0,127}
//	digest     := algorithm ":" encoded
//
// The first component is a registry when it contains "." or ":", is "localhost", or
// has an upper-case letter; otherwise the image is on Docker Hub ("nginx" is
// docker.io/library/nginx).

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// imageRef is a container image reference split into its parts.
type imageRef struct {
	// Registry is the host and port as written ("registry.example.com:5000"); empty
	// when implied (Docker Hub).
	Registry string
	// Repository is the path within the registry as written ("team/app", "nginx").
	Repository string
	// Tag is empty when none is written.
	Tag string
	// Digest is "sha256:<hex>" when the reference is pinned; empty otherwise.
	Digest string
}

var (
	pathComponentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)
	tagRE           = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	registryRE      = regexp.MustCompile(`^(?:\[[0-9a-fA-F:.%]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]+)?$`)
	algorithmRE     = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$`)
	encodedRE       = regexp.MustCompile(`^[a-zA-Z0-9=_-]+$`)
	lowerHexRE      = regexp.MustCompile(`^[a-f0-9]+$`)
)

// digestHexLen are the lengths of the registered OCI digest algorithms.
var digestHexLen = map[string]int{"sha256": 64, "sha512": 128}

// parseImageRef splits an image reference, or says why it is not one.
func parseImageRef(s string) (imageRef, error) {
	var r imageRef
	if s == "" {
		return r, errors.New("empty image reference")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return r, errors.New("image reference contains white space")
	}
	name := s
	if i := strings.IndexByte(s, '@'); i >= 0 {
		name, r.Digest = s[:i], s[i+1:]
		if err := checkDigest(r.Digest); err != nil {
			return imageRef{}, err
		}
	}
	rest := name
	if i := strings.IndexByte(name, '/'); i >= 0 {
		first := name[:i]
		if strings.ContainsAny(first, ".:[") || first == "localhost" || strings.ToLower(first) != first {
			if !registryRE.MatchString(first) {
				return imageRef{}, fmt.Errorf("invalid registry %q", first)
			}
			r.Registry, rest = first, name[i+1:]
		}
	}
	// Past the registry, a colon can only introduce the tag.
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		rest, r.Tag = rest[:i], rest[i+1:]
		if !tagRE.MatchString(r.Tag) {
			return imageRef{}, fmt.Errorf("invalid tag %q", r.Tag)
		}
	}
	if rest == "" {
		return imageRef{}, errors.New("image reference has no repository")
	}
	for _, c := range strings.Split(rest, "/") {
		if !pathComponentRE.MatchString(c) {
			return imageRef{}, fmt.Errorf("invalid repository %q", rest)
		}
	}
	r.Repository = rest
	return r, nil
}

func checkDigest(d string) error {
	alg, enc, ok := strings.Cut(d, ":")
	if !ok || !algorithmRE.MatchString(alg) || !encodedRE.MatchString(enc) {
		return fmt.Errorf("invalid digest %q", d)
	}
	if n, known := digestHexLen[alg]; known && (len(enc) != n || !lowerHexRE.MatchString(enc)) {
		return fmt.Errorf("invalid %s digest %q: want %d lower-case hex digits", alg, d, n)
	}
	return nil
}

// Pinned reports a reference by digest: the content cannot change under it.
func (r imageRef) Pinned() bool { return r.Digest != "" }

// Latest reports a mutable reference to the "latest" tag, written or implied.
func (r imageRef) Latest() bool { return !r.Pinned() && (r.Tag == "" || r.Tag == "latest") }

// DefaultPullPolicy is the imagePullPolicy the API server fills in when none is
// written: Always when the tag is "latest" or when neither tag nor digest is written
// (the kubelet's parsers.ParseImageName then reports tag "latest"), IfNotPresent
// otherwise — a digest alone included.
func (r imageRef) DefaultPullPolicy() corev1.PullPolicy {
	if r.Tag == "latest" || (r.Tag == "" && r.Digest == "") {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

// containerImage parses a container's image; ok is false for an empty or malformed
// reference, which the kubelet cannot pull and the image rules therefore skip.
func containerImage(image string) (imageRef, bool) {
	r, err := parseImageRef(image)
	return r, err == nil
}

// The grammar of parseImageRef, in RE2 (CEL's matches).
const (
	imageHostCEL     = `[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?`
	imageRegistryCEL = `(?:\[[0-9a-fA-F:.%]+\]|` + imageHostCEL + `(?:\.` + imageHostCEL + `)*)(?::[0-9]+)?`
	imageCompCEL     = `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
	imageRefCEL      = `^(?:` + imageRegistryCEL + `/)?` + imageCompCEL + `(?:/` + imageCompCEL + `)*(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+)?$`
)

// imageValidCEL: the reference x parses. Besides the grammar: a first component with a
// dot is a registry and must be a host name, and sha256 and sha512 digests have their
// length in lower-case hex.
func imageValidCEL(x string) string {
	return fmt.Sprintf("(%[1]s.matches(r'%[2]s') && "+
		"(!%[1]s.split('@')[0].contains('/') || !%[1]s.split('@')[0].split('/')[0].contains('.') || %[1]s.split('@')[0].split('/')[0].matches(r'^%[3]s$')) && "+
		"(!%[1]s.contains('@sha256:') || %[1]s.matches(r'@sha256:[a-f0-9]{64}$')) && (!%[1]s.contains('@sha512:') || %[1]s.matches(r'@sha512:[a-f0-9]{128}$')))",
		x, imageRefCEL, imageRegistryCEL)
}

// imageMutableCEL: x is a valid reference with no digest.
func imageMutableCEL(x string) string {
	return fmt.Sprintf("(%s && !%s.contains('@'))", imageValidCEL(x), x)
}

// imageLatestCEL: x is mutable and its tag is latest or absent.
func imageLatestCEL(x string) string {
	return fmt.Sprintf("(%[2]s && (!%[1]s.matches(r':[\\w.-]+$') || %[1]s.endsWith(':latest')))", x, imageMutableCEL(x))
}

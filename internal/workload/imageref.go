package workload

// Container image references, parsed as the kubelet parses them: by
// github.com/distribution/reference's ParseNormalizedNamed, which the kubelet's
// parsers.ParseImageName calls before every pull. A reference it refuses is one the
// kubelet refuses too (InvalidImageName): image/invalid-reference reports it, and the
// other image rules skip it.
//
//	reference  := name [ ":" tag ] [ "@" digest ]
//	name       := [ domain "/" ] path-component { "/" path-component }
//	tag        := [\w][\w.-]{0,127}
//	digest     := sha256:<64 hex> | sha384:<96 hex> | sha512:<128 hex>   (lower case)
//
// The first component is a domain when it contains "." or ":", is "localhost", or has
// an upper-case letter; otherwise the image is on Docker Hub ("nginx" is
// docker.io/library/nginx). The path is lower case and at most 255 characters.

import (
	// The digest algorithms go-digest validates must be linked in, as in the kubelet.
	_ "crypto/sha256"
	_ "crypto/sha512"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
)

// imageRef is a container image reference, normalized.
type imageRef struct {
	// Registry is the domain and port, with Docker Hub's implied or legacy names
	// normalized to "docker.io": "registry.k8s.io", "localhost:5000", "docker.io".
	Registry string
	// Repository is the path within the registry: "library/nginx", "team/app".
	Repository string
	// Tag is empty when none is written.
	Tag string
	// Digest is "sha256:<hex>" when the reference is pinned; empty otherwise.
	Digest string
}

// parseImageRef parses an image reference as the kubelet does, or says why it is not one.
// Several image rules parse the same container's image, and a scan's containers share
// few images, so each distinct string is parsed once: results are kept in a cache that
// rules on any goroutine share, emptied when it holds imageRefCacheMax strings so that
// a long-running admission server stays bounded.
func parseImageRef(s string) (imageRef, error) {
	if v, ok := imageRefCache.Load(s); ok {
		e := v.(*imageRefResult)
		return e.ref, e.err
	}
	r, err := parseImageRefUncached(s)
	if imageRefCacheLen.Add(1) > imageRefCacheMax {
		imageRefCache.Clear()
		imageRefCacheLen.Store(1)
	}
	// The key is copied so that the cache does not keep the document it came from.
	imageRefCache.Store(strings.Clone(s), &imageRefResult{ref: r, err: err})
	return r, err
}

type imageRefResult struct {
	ref imageRef
	err error
}

// imageRefCacheMax bounds the image references parseImageRef keeps.
const imageRefCacheMax = 1 << 14

var (
	imageRefCache    sync.Map // string → *imageRefResult
	imageRefCacheLen atomic.Int64
)

// parseImageRefUncached is parseImageRef without the cache.
func parseImageRefUncached(s string) (imageRef, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return imageRef{}, err
	}
	r := imageRef{Registry: reference.Domain(named), Repository: reference.Path(named)}
	if t, ok := named.(reference.Tagged); ok {
		r.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		r.Digest = d.Digest().String()
	}
	return r, nil
}

// Name is the normalized name, registry and repository: "docker.io/library/nginx".
// Registry is empty, and Name the path alone, only for a first component with a dot
// that is no host name ("a.b_c/x"), which the parser then takes as a path.
func (r imageRef) Name() string {
	if r.Registry == "" {
		return r.Repository
	}
	return r.Registry + "/" + r.Repository
}

// String is the normalized reference.
func (r imageRef) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
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

// whyInvalid says in words why s is not a reference: the parser's error, with the
// common mistakes it reports only as "invalid reference format" named.
func whyInvalid(s string, err error) string {
	switch {
	case strings.Contains(s, "{{"):
		return "it holds an unrendered template expression"
	case strings.TrimSpace(s) != s || strings.ContainsAny(s, " \t\r\n"):
		return "it contains white space"
	case strings.HasSuffix(s, ":"):
		return "the tag after \":\" is empty"
	case strings.HasSuffix(s, "@"):
		return "the digest after \"@\" is empty"
	case strings.Contains(s, "//") || strings.HasSuffix(s, "/"):
		return "it has an empty path component"
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		alg, hex, ok := strings.Cut(s[i+1:], ":")
		n, known := digestHexLen[alg]
		switch {
		case ok && known && len(hex) != n:
			return fmt.Sprintf("a %s digest has %d hex digits, this one %d", alg, n, len(hex))
		case ok && known && strings.ToLower(hex) != hex:
			return fmt.Sprintf("the %s digest is not in lower case", alg)
		case ok && !known:
			return fmt.Sprintf("unknown digest algorithm %q (want sha256, sha384 or sha512)", alg)
		}
	}
	return err.Error()
}

// digestHexLen are the digest algorithms the kubelet accepts, with their lengths in hex.
var digestHexLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// imageValidCEL: the reference x parses, in CEL: ParseNormalizedNamed step by step,
// with distribution/reference's own regular expressions. A 64-hex name is refused;
// Docker Hub's implied domain is added (with library/ for a one-component name) and
// index.docker.io becomes docker.io; the path before the tag is lower case; the
// normalized reference matches ReferenceRegexp with a path of at most 255 characters;
// a digest is sha256, sha384 or sha512 in lower-case hex of its length.
func imageValidCEL(x string) string {
	// Each step names the one before it once or a few times: CEL in the API server has
	// no let-binding, so an expression that nested the normalized name into the path
	// length (16 copies) was 37 KB long and took 3 s to type-check.
	first := fmt.Sprintf("%s.split('/')[0]", x)
	isDomain := fmt.Sprintf("(%[1]s.contains('/') && (%[2]s == 'localhost' || %[2]s.contains('.') || %[2]s.contains(':') || %[2]s.lowerAscii() != %[2]s))", x, first)
	rem := fmt.Sprintf("(%s ? %s.substring(%s.size() + 1) : %s)", isDomain, x, first, x)
	dockerHub := fmt.Sprintf("(!%[1]s || %[2]s == 'index.docker.io' || %[2]s == 'docker.io')", isDomain, first)
	domain := fmt.Sprintf("(%[1]s ? (%[2]s == 'index.docker.io' ? 'docker.io' : %[2]s) : 'docker.io')", isDomain, first)
	library := fmt.Sprintf("(%s && !%s.contains('/'))", dockerHub, rem)
	remote := fmt.Sprintf("%s.split(':')[0]", rem)
	norm := fmt.Sprintf("(%s + '/' + (%s ? 'library/' : '') + %s)", domain, library, rem)
	// The path is the normalized name without domain, digest and tag: library/ and
	// the remainder up to its tag.
	r0 := fmt.Sprintf("%s.split('@')[0]", rem)
	nameEnd := fmt.Sprintf("(%[1]s.lastIndexOf(':') > %[1]s.lastIndexOf('/') ? %[1]s.lastIndexOf(':') : %[1]s.size())", r0)
	pathLen := fmt.Sprintf("(%s + (%s ? 8 : 0))", nameEnd, library)
	return fmt.Sprintf("(!%[1]s.matches(r'^[a-f0-9]{64}$') && %[2]s.lowerAscii() == %[2]s && %[3]s.matches(r'%[4]s') && %[5]s <= %[6]d && "+
		"(!%[1]s.contains('@') || %[1]s.matches(r'@(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$')))",
		x, remote, norm, reference.ReferenceRegexp.String(), pathLen, reference.RepositoryNameTotalLengthMax)
}

// imageMutableCEL: x is a valid reference with no digest.
func imageMutableCEL(x string) string {
	return fmt.Sprintf("(%s && !%s.contains('@'))", imageValidCEL(x), x)
}

// imageLatestCEL: x is mutable and its tag is latest or absent.
func imageLatestCEL(x string) string {
	return fmt.Sprintf("(%[2]s && (!%[1]s.matches(r':[\\w.-]+$') || %[1]s.endsWith(':latest')))", x, imageMutableCEL(x))
}

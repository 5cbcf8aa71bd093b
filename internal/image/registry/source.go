// Package registry resolves the images Moat is asked about to digests and reads them:
// from registries (anonymous, Docker config credentials, the workloads' imagePullSecrets),
// from OCI image layouts and from `docker save` tarballs. Multi-arch indexes resolve to
// the image of one platform. Layers stay lazy and streamed, and every read is bounded in
// bytes (per layer, per image) and in time (per request, per stalled stream). Results
// derived from an image are cached on disk by its digest (Cache).
package registry

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Kind is where a Source's image is kept.
type Kind string

// The kinds of source.
const (
	KindRegistry Kind = "registry" // a reference to a registry: "nginx:1.27"
	KindOCI      Kind = "oci"      // an OCI image layout on disk: "oci:DIR[:TAG|@DIGEST]"
	KindTar      Kind = "tar"      // a `docker save` tarball: "tar:FILE[:REF]"
)

// Source is where an image comes from, parsed from the user's words: a registry
// reference ("nginx:1.27", "ghcr.io/o/r@sha256:..."), "oci:DIR[:TAG|@DIGEST]" (an OCI
// image layout) or "tar:FILE[:REF]" (a `docker save` tarball). Sources are comparable:
// two spellings of one registry reference ("nginx" and "docker.io/library/nginx:latest")
// parse to equal Sources.
type Source struct {
	Kind Kind
	// Ref is, for a registry, the fully qualified reference
	// ("index.docker.io/library/nginx:1.27"); for a tarball, the tag of the image in it
	// ("nginx:1.27"), empty when the tarball holds one image. Empty for a layout.
	Ref string
	// Path is the layout's directory or the tarball's file.
	Path string
	// Tag is the tag a layout's image is named by (its org.opencontainers.image.ref.name
	// annotation), or the tag of a registry reference.
	Tag string
	// Digest is the digest a registry reference or a layout's image is named by.
	Digest string
}

// ociTag is the grammar of a tag (the OCI distribution spec's).
var ociTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// ParseSource parses the user's words for an image. A layout's DIR may hold ':' only
// before its last '/'; a tarball's FILE may hold no ':' when a REF follows it.
func ParseSource(s string) (Source, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Source{}, errors.New("empty image reference")
	case strings.HasPrefix(s, "oci:"):
		return parseLayout(s)
	case strings.HasPrefix(s, "tar:"):
		return parseTarball(s)
	}
	return parseReference(s)
}

func parseReference(s string) (Source, error) {
	ref, err := name.ParseReference(s)
	if err != nil {
		return Source{}, fmt.Errorf("image reference %q: %w", s, err)
	}
	src := Source{Kind: KindRegistry, Ref: ref.Name()}
	switch r := ref.(type) {
	case name.Tag:
		src.Tag = r.TagStr()
	case name.Digest:
		src.Digest = r.DigestStr()
	}
	return src, nil
}

func parseLayout(s string) (Source, error) {
	rest := strings.TrimPrefix(s, "oci:")
	src := Source{Kind: KindOCI}
	lastSlash := strings.LastIndex(rest, "/")
	if at := strings.LastIndex(rest, "@"); at > lastSlash && strings.Contains(rest[at:], ":") {
		d, err := v1.NewHash(rest[at+1:])
		if err != nil {
			return Source{}, fmt.Errorf("%q: digest after '@': %w", s, err)
		}
		src.Digest, rest = d.String(), rest[:at]
	} else if c := strings.LastIndex(rest, ":"); c > lastSlash {
		tag := rest[c+1:]
		if !ociTag.MatchString(tag) {
			return Source{}, fmt.Errorf("%q: tag %q after the directory is not a valid tag", s, tag)
		}
		src.Tag, rest = tag, rest[:c]
	}
	if rest == "" {
		return Source{}, fmt.Errorf("%q: want oci:DIR[:TAG|@DIGEST], the directory is missing", s)
	}
	src.Path = rest
	return src, nil
}

func parseTarball(s string) (Source, error) {
	rest := strings.TrimPrefix(s, "tar:")
	file, ref, hasRef := strings.Cut(rest, ":")
	if file == "" {
		return Source{}, fmt.Errorf("%q: want tar:FILE[:REF], the file is missing", s)
	}
	src := Source{Kind: KindTar, Path: file}
	if hasRef {
		// The tarball's manifest.json names its images by tag (RepoTags).
		if ref == "" {
			return Source{}, fmt.Errorf("%q: the image after the file's ':' is empty", s)
		}
		tag, err := name.NewTag(ref)
		if err != nil {
			return Source{}, fmt.Errorf("%q: image %q in the tarball must be a tag (name:tag): %w", s, ref, err)
		}
		src.Ref, src.Tag = ref, tag.TagStr()
	}
	return src, nil
}

// String is the source in the form ParseSource reads.
func (s Source) String() string {
	switch s.Kind {
	case KindOCI:
		switch {
		case s.Digest != "":
			return "oci:" + s.Path + "@" + s.Digest
		case s.Tag != "":
			return "oci:" + s.Path + ":" + s.Tag
		}
		return "oci:" + s.Path
	case KindTar:
		if s.Ref != "" {
			return "tar:" + s.Path + ":" + s.Ref
		}
		return "tar:" + s.Path
	}
	return s.Ref
}

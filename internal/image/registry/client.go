package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The defaults of Options.
const (
	DefaultTimeout       = 2 * time.Minute
	DefaultMaxLayerBytes = 4 << 30
	DefaultMaxImageBytes = 16 << 30
)

// Options configure a Client. The zero value is usable.
type Options struct {
	// Platform is chosen in multi-arch indexes: "os/arch[/variant]", DefaultPlatform
	// when empty.
	Platform string
	// Keychain finds credentials for registries: nil is the Docker config's, and
	// anonymous where it has none (authn.DefaultKeychain).
	Keychain authn.Keychain
	// Insecure allows registries over plain HTTP (go-containerregistry already speaks
	// plain HTTP to localhost, loopback and private addresses).
	Insecure bool
	// Timeout bounds the resolution of an image (its manifests and config), each wait
	// for a registry's answer and each stall of a layer's stream; DefaultTimeout when 0.
	Timeout time.Duration
	// MaxLayerBytes is the most compressed bytes one layer may have, and MaxImageBytes
	// the most all layers may add up to; an image over them is an error.
	MaxLayerBytes int64
	MaxImageBytes int64
	// Transport carries the requests to registries: remote.DefaultTransport when nil.
	Transport http.RoundTripper
}

// Resolved is an image chosen for the platform: its digest identifies it and keys
// every cache.
type Resolved struct {
	Source Source
	// Digest is the manifest digest of the platform's image.
	Digest string
	// IndexDigest is the digest of the index the source named, when it named one.
	IndexDigest string
	// Platform is the image's platform ("linux/arm64/v8"): the index's word for it, or
	// its config's for an image that is not in an index (empty when that says none).
	Platform string
	// Image reads the image. Its layers are fetched lazily and streamed, within the
	// Client's limits; a registry image's reads live on the context given to Resolve.
	Image v1.Image
}

// Client resolves and reads images.
type Client struct {
	opt       Options
	keychain  authn.Keychain
	transport http.RoundTripper
}

// New returns a Client with opt's zero fields set to their defaults.
func New(opt Options) *Client {
	if opt.Platform == "" {
		opt.Platform = DefaultPlatform
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.MaxLayerBytes <= 0 {
		opt.MaxLayerBytes = DefaultMaxLayerBytes
	}
	if opt.MaxImageBytes <= 0 {
		opt.MaxImageBytes = DefaultMaxImageBytes
	}
	c := &Client{opt: opt, keychain: opt.Keychain, transport: opt.Transport}
	if c.keychain == nil {
		c.keychain = authn.DefaultKeychain
	}
	if c.transport == nil {
		c.transport = remote.DefaultTransport
	}
	c.transport = stallGuard{inner: c.transport, timeout: opt.Timeout}
	return c
}

// Resolve finds src's image for the Client's platform: the manifest (the index's, then
// the platform's), and the config when the platform must be read from it. No layer is
// fetched.
func (c *Client) Resolve(ctx context.Context, src Source) (*Resolved, error) {
	want, err := ParsePlatform(c.opt.Platform)
	if err != nil {
		return nil, err
	}
	var res *Resolved
	switch src.Kind {
	case KindRegistry:
		res, err = c.resolveRemote(ctx, src, want)
	case KindOCI:
		res, err = resolveLayout(src, want)
	case KindTar:
		res, err = resolveTarball(src)
	default:
		return nil, fmt.Errorf("image %s: unknown source kind %q", src, src.Kind)
	}
	if err != nil {
		return nil, err
	}
	res.Source = src
	lim := limits{layer: c.opt.MaxLayerBytes, image: c.opt.MaxImageBytes}
	res.Image = newBoundedImage(res.Image, src.String()+" ("+res.Digest+")", lim, src.Kind)
	return res, nil
}

// resolveRemote resolves a registry reference within the timeout. The context the
// image keeps for its lazy reads is ctx's child that the watchdog would have cancelled,
// left alive when resolution finished in time.
func (c *Client) resolveRemote(ctx context.Context, src Source, want v1.Platform) (*Resolved, error) {
	var nameOpts []name.Option
	if c.opt.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	ref, err := name.ParseReference(src.Ref, nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", src.Ref, err)
	}
	rctx, cancel := context.WithCancelCause(ctx)
	timeout := c.opt.Timeout
	watchdog := time.AfterFunc(timeout, func() {
		cancel(fmt.Errorf("%w: no answer within %s", errStalled, timeout))
	})
	res, err := c.fetchRemote(ref, want, c.remoteOptions(rctx, want))
	if !watchdog.Stop() {
		return nil, remoteError(ref, context.Cause(rctx))
	}
	if err != nil {
		cancel(nil)
		return nil, remoteError(ref, err)
	}
	return res, nil
}

func (c *Client) remoteOptions(ctx context.Context, want v1.Platform) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(c.keychain),
		remote.WithTransport(c.transport),
		remote.WithRetryBackoff(retryBackoff(c.opt.Timeout)),
		remote.WithPlatform(want),
		remote.WithUserAgent("moat"),
	}
}

func (c *Client) fetchRemote(ref name.Reference, want v1.Platform, opts []remote.Option) (*Resolved, error) {
	desc, err := remote.Get(ref, opts...)
	if err != nil {
		return nil, err
	}
	res := &Resolved{}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", desc.Digest, err)
		}
		chosen, err := choosePlatform(im.Manifests, want)
		if err != nil {
			return nil, fmt.Errorf("index %s: %w", desc.Digest, err)
		}
		if res.Image, err = idx.Image(chosen.Digest); err != nil {
			return nil, err
		}
		res.IndexDigest, res.Digest = desc.Digest.String(), chosen.Digest.String()
		if chosen.Platform != nil {
			res.Platform = platformString(*chosen.Platform)
		}
	case desc.MediaType.IsImage():
		if res.Image, err = desc.Image(); err != nil {
			return nil, err
		}
		res.Digest = desc.Digest.String()
	default:
		return nil, fmt.Errorf("manifest %s has media type %q, neither an image nor an index (Docker schema 1 is not supported)", desc.Digest, desc.MediaType)
	}
	if err := completePlatform(res); err != nil {
		return nil, err
	}
	return res, nil
}

// completePlatform reads the image's manifest (so that a missing or corrupt one is an
// error of Resolve), and its config when the index said no platform.
func completePlatform(res *Resolved) error {
	if _, err := res.Image.Manifest(); err != nil {
		return fmt.Errorf("manifest %s: %w", res.Digest, err)
	}
	if res.Platform != "" {
		return nil
	}
	cf, err := res.Image.ConfigFile()
	if err != nil {
		return fmt.Errorf("image %s: config: %w", res.Digest, err)
	}
	if cf.OS != "" && cf.Architecture != "" {
		res.Platform = platformString(v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant})
	}
	return nil
}

// remoteError names the registry and the image, and says so plainly when the registry
// refused us for want of credentials.
func remoteError(ref name.Reference, err error) error {
	reg := ref.Context().RegistryStr()
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("image %s: registry %s refused access (HTTP %d): authentication required or the credentials were rejected; "+
			"log in (docker login) or give the workload imagePullSecrets: %w", ref, reg, terr.StatusCode, err)
	}
	return fmt.Errorf("image %s: registry %s: %w", ref, reg, err)
}

// resolveLayout finds the image in an OCI layout by tag or digest, or its only image,
// then the platform's image when that is an index.
func resolveLayout(src Source, want v1.Platform) (*Resolved, error) {
	fail := func(format string, a ...any) (*Resolved, error) {
		return nil, fmt.Errorf("%s: %w", src, fmt.Errorf(format, a...))
	}
	p, err := layout.FromPath(src.Path)
	if err != nil {
		return fail("not an OCI image layout: %w", err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		return fail("index.json: %w", err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		return fail("index.json is not an OCI index: %w", err)
	}
	candidates := layoutCandidates(im.Manifests, src)
	res := &Resolved{}
	switch {
	case len(candidates) == 0:
		return fail("no image %s; the layout has %s", layoutWanted(src), describeLayout(im.Manifests))
	case len(candidates) == 1 && candidates[0].MediaType.IsIndex():
		d := candidates[0]
		idx, err := top.ImageIndex(d.Digest)
		if err != nil {
			return fail("index %s: %w", d.Digest, err)
		}
		inner, err := idx.IndexManifest()
		if err != nil {
			return fail("index %s: %w", d.Digest, err)
		}
		chosen, err := choosePlatform(inner.Manifests, want)
		if err != nil {
			return fail("index %s: %w", d.Digest, err)
		}
		if res.Image, err = idx.Image(chosen.Digest); err != nil {
			return fail("image %s: %w", chosen.Digest, err)
		}
		res.IndexDigest, res.Digest = d.Digest.String(), chosen.Digest.String()
		if chosen.Platform != nil {
			res.Platform = platformString(*chosen.Platform)
		}
	default:
		chosen := candidates[0]
		if len(candidates) > 1 {
			if chosen, err = choosePlatform(candidates, want); err != nil {
				return fail("%d images match; name one with :TAG or @DIGEST (%w)", len(candidates), err)
			}
		}
		if res.Image, err = top.Image(chosen.Digest); err != nil {
			return fail("image %s: %w", chosen.Digest, err)
		}
		res.Digest = chosen.Digest.String()
		if chosen.Platform != nil {
			res.Platform = platformString(*chosen.Platform)
		}
	}
	if err := completePlatform(res); err != nil {
		return fail("%w", err)
	}
	return res, nil
}

// layoutCandidates are the layout's manifests src names: by digest, by tag (the
// ref.name annotation, which tools write as the tag or as the whole reference), or all.
func layoutCandidates(manifests []v1.Descriptor, src Source) []v1.Descriptor {
	var out []v1.Descriptor
	for _, d := range manifests {
		switch {
		case src.Digest != "":
			if d.Digest.String() != src.Digest {
				continue
			}
		case src.Tag != "":
			if !slices.Contains(layoutTags(d), src.Tag) {
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

// layoutTags are the tags a layout's manifest is named by: each annotation as it is,
// then the tag of one that is a whole reference.
func layoutTags(d v1.Descriptor) []string {
	var tags []string
	for _, key := range []string{"org.opencontainers.image.ref.name", "io.containerd.image.name"} {
		v := d.Annotations[key]
		if v == "" {
			continue
		}
		tags = append(tags, v)
		if t, err := name.NewTag(v); err == nil && strings.Contains(v, ":") {
			tags = append(tags, t.TagStr())
		}
	}
	return tags
}

func layoutWanted(src Source) string {
	if src.Digest != "" {
		return "with digest " + src.Digest
	}
	return "tagged " + src.Tag
}

// describeLayout lists a layout's images for an error: their tags, else their digests.
func describeLayout(manifests []v1.Descriptor) string {
	if len(manifests) == 0 {
		return "no manifests"
	}
	var names []string
	for _, d := range manifests {
		if tags := layoutTags(d); len(tags) > 0 {
			names = append(names, tags[0])
		} else {
			names = append(names, d.Digest.String())
		}
	}
	return strings.Join(names, ", ")
}

// resolveTarball reads a `docker save` tarball's image: the one it holds, or the one
// src names by tag.
func resolveTarball(src Source) (*Resolved, error) {
	fail := func(format string, a ...any) (*Resolved, error) {
		return nil, fmt.Errorf("%s: %w", src, fmt.Errorf(format, a...))
	}
	opener := func() (io.ReadCloser, error) { return os.Open(src.Path) }
	manifest, err := tarball.LoadManifest(opener)
	if err != nil {
		return fail("cannot read the tarball's manifest.json (not a docker save tarball, or truncated): %w", err)
	}
	var tag *name.Tag
	if src.Ref != "" {
		t, err := name.NewTag(src.Ref)
		if err != nil {
			return fail("%w", err)
		}
		tag = &t
	} else if len(manifest) != 1 {
		return fail("the tarball holds %d images; name one with tar:FILE:REF (%s)", len(manifest), tarballTags(manifest))
	}
	img, err := tarball.Image(opener, tag)
	if err != nil {
		if tag != nil {
			return fail("%w; the tarball has %s", err, tarballTags(manifest))
		}
		return fail("%w", err)
	}
	// A tarball's manifest digest is computed from its layers: reading them here makes
	// a truncated or corrupt layer an error of Resolve.
	d, err := img.Digest()
	if err != nil {
		return fail("layers (truncated or corrupt tarball?): %w", err)
	}
	res := &Resolved{Image: img, Digest: d.String()}
	if err := completePlatform(res); err != nil {
		return fail("%w", err)
	}
	return res, nil
}

func tarballTags(m tarball.Manifest) string {
	var tags []string
	for _, d := range m {
		tags = append(tags, d.RepoTags...)
	}
	if len(tags) == 0 {
		return "no tagged images"
	}
	return "tags " + strings.Join(tags, ", ")
}

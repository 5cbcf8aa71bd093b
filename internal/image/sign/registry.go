package sign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// Bounds on what one Verify reads from a registry.
const (
	maxManifestBytes = 4 << 20 // a signature manifest; OCI asks registries to take 4 MiB
	maxBundleBytes   = 4 << 20 // a Sigstore bundle blob
	maxPayloadBytes  = 1 << 20 // a simple-signing payload
)

// foundSignature is one signature of an image and where it was found.
type foundSignature struct {
	source string // "referrer sha256:…", "tag sha256-….sig layer 0"
	bundle *bundle.Bundle
	// payload is the simple-signing payload a cosign signature signs; nil for Sigstore
	// bundles, which sign the image digest (or a statement about it) directly.
	payload []byte
}

// finder collects the signatures of one digest from its registry.
type finder struct {
	repo   name.Repository
	digest v1.Hash
	opts   []remote.Option
	// manifests and signatures are how many more of each may be read.
	manifests, signatures int
	// accepts reports whether a DSSE predicate type could count as a signature; used only
	// to skip referrers that announce another predicate, never to accept one.
	accepts func(predicateType string) bool

	found  []foundSignature
	broken []string // signatures that could not be read: "source: why"
	errs   []error  // registry failures
}

func (f *finder) find(ctx context.Context) {
	f.referrers(ctx)
	if ctx.Err() != nil {
		return
	}
	f.cosignTag(ctx)
}

// referrers reads the OCI 1.1 referrers of the digest: the referrers API, or its
// fallback tag when the registry has none (go-containerregistry falls back by itself).
func (f *finder) referrers(ctx context.Context) {
	idx, err := remote.Referrers(f.repo.Digest(f.digest.String()), f.opts...)
	if err != nil {
		f.errs = append(f.errs, fmt.Errorf("listing referrers: %w", err))
		return
	}
	im, err := idx.IndexManifest()
	if err != nil {
		f.errs = append(f.errs, fmt.Errorf("listing referrers: %w", err))
		return
	}
	for _, desc := range im.Manifests {
		if ctx.Err() != nil {
			return
		}
		if !f.mayBeSignature(desc) {
			continue
		}
		if !spend(&f.manifests, "referrer "+desc.Digest.String(), &f.broken) {
			return
		}
		f.referrer(desc)
	}
}

// mayBeSignature skips referrers that announce themselves as something else (an SBOM,
// an attestation of a predicate the rule does not take). Registries and clients do not
// all fill artifactType in (cosign has written the empty config's type, and
// go-containerregistry's registry reports the config's type), so the unknown ones are read.
func (f *finder) mayBeSignature(desc v1.Descriptor) bool {
	if desc.MediaType != "" && desc.MediaType.IsIndex() {
		return false
	}
	if pt := desc.Annotations["dev.sigstore.bundle.predicateType"]; pt != "" && !f.accepts(pt) {
		return false
	}
	switch at := desc.ArtifactType; {
	case at == "", at == CosignArtifactType, strings.HasPrefix(at, "application/vnd.dev.sigstore.bundle"):
		return true
	case at == "application/vnd.oci.empty.v1+json", at == "application/vnd.oci.image.config.v1+json":
		return true
	default:
		return false
	}
}

func (f *finder) referrer(desc v1.Descriptor) {
	source := "referrer " + desc.Digest.String()
	img, mf, ok := f.manifest(desc, source)
	if !ok {
		return
	}
	if mf.Subject == nil || mf.Subject.Digest != f.digest {
		f.broken = append(f.broken, source+": its subject is not this image")
		return
	}
	for i, layer := range mf.Layers {
		switch {
		case strings.HasPrefix(string(layer.MediaType), "application/vnd.dev.sigstore.bundle"):
			f.bundleLayer(img, layer, fmt.Sprintf("%s layer %d", source, i))
		case layer.MediaType == SimpleSigningMediaType:
			f.cosignLayer(img, layer, fmt.Sprintf("%s layer %d", source, i))
		}
	}
}

// cosignTag reads cosign's tag scheme: the image tagged sha256-<hex>.sig in the same
// repository.
func (f *finder) cosignTag(ctx context.Context) {
	tag := f.repo.Tag(strings.Replace(f.digest.String(), ":", "-", 1) + ".sig")
	source := "tag " + tag.TagStr()
	desc, err := remote.Head(tag, f.opts...)
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
			return // not signed this way
		}
		f.errs = append(f.errs, fmt.Errorf("%s: %w", source, err))
		return
	}
	img, mf, ok := f.manifest(*desc, source)
	if !ok {
		return
	}
	for i, layer := range mf.Layers {
		if ctx.Err() != nil {
			return
		}
		if layer.MediaType == SimpleSigningMediaType {
			f.cosignLayer(img, layer, fmt.Sprintf("%s layer %d", source, i))
		}
	}
}

// manifest reads the manifest desc announces, by digest (so that what is read is what
// was announced), and within the size limit.
func (f *finder) manifest(desc v1.Descriptor, source string) (v1.Image, *v1.Manifest, bool) {
	if desc.Size > maxManifestBytes {
		f.broken = append(f.broken, fmt.Sprintf("%s: manifest of %d bytes is over the %d-byte limit", source, desc.Size, maxManifestBytes))
		return nil, nil, false
	}
	img, err := remote.Image(f.repo.Digest(desc.Digest.String()), f.opts...)
	if err == nil {
		var mf *v1.Manifest
		if mf, err = img.Manifest(); err == nil {
			return img, mf, true
		}
	}
	f.errs = append(f.errs, fmt.Errorf("%s: %w", source, err))
	return nil, nil, false
}

func (f *finder) bundleLayer(img v1.Image, layer v1.Descriptor, source string) {
	if !spend(&f.signatures, source, &f.broken) {
		return
	}
	data, err := readBlob(img, layer, maxBundleBytes)
	if err != nil {
		f.broken = append(f.broken, source+": "+err.Error())
		return
	}
	b, err := ParseBundle(data)
	if err != nil {
		f.broken = append(f.broken, source+": "+err.Error())
		return
	}
	f.found = append(f.found, foundSignature{source: source, bundle: b})
}

func (f *finder) cosignLayer(img v1.Image, layer v1.Descriptor, source string) {
	if !spend(&f.signatures, source, &f.broken) {
		return
	}
	payload, err := readBlob(img, layer, maxPayloadBytes)
	if err != nil {
		f.broken = append(f.broken, source+": "+err.Error())
		return
	}
	b, err := CosignBundle(payload, layer.Annotations)
	if err != nil {
		f.broken = append(f.broken, source+": "+err.Error())
		return
	}
	f.found = append(f.found, foundSignature{source: source, bundle: b, payload: payload})
}

// spend takes one from a budget; when it is gone, the rest is left unread and the first
// thing left is noted.
func spend(budget *int, what string, notes *[]string) bool {
	if *budget <= 0 {
		if *budget == 0 {
			*notes = append(*notes, what+": not read, past the limit of signatures read per image")
			*budget = -1
		}
		return false
	}
	*budget--
	return true
}

// readBlob reads one blob of img whole, refusing it past limit bytes. go-containerregistry
// checks the digest when the blob is read to its end.
func readBlob(img v1.Image, desc v1.Descriptor, limit int64) ([]byte, error) {
	if desc.Size > limit {
		return nil, fmt.Errorf("blob of %d bytes is over the %d-byte limit", desc.Size, limit)
	}
	layer, err := img.LayerByDigest(desc.Digest)
	if err != nil {
		return nil, err
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("blob is over the %d-byte limit", limit)
	}
	return data, nil
}

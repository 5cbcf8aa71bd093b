package signtest

import (
	"encoding/json"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"

	"github.com/moat-dev/moat/internal/image/sign"
)

// Layer is one cosign signature: the signed payload, stored as a layer, and its
// annotations (signature, certificate, Rekor bundle, timestamp).
type Layer struct {
	Payload     []byte
	Annotations map[string]string
}

const emptyConfigType = "application/vnd.oci.empty.v1+json"

// AttachBundle pushes a Sigstore bundle as an OCI 1.1 referrer of subject, laid out as
// cosign 3 does: an artifact manifest whose artifactType and one layer are the bundle
// media type, with an empty config. It returns the referrer's digest.
func AttachBundle(repo name.Repository, subject v1.Descriptor, b *protobundle.Bundle, opts ...remote.Option) (v1.Hash, error) {
	data, err := BundleJSON(b)
	if err != nil {
		return v1.Hash{}, err
	}
	return AttachBundleJSON(repo, subject, data, bundleAnnotations(b), opts...)
}

// AttachBundleJSON is AttachBundle for bundle bytes as they are (valid or not), with
// the referrer manifest's annotations.
func AttachBundleJSON(repo name.Repository, subject v1.Descriptor, data []byte, ann map[string]string, opts ...remote.Option) (v1.Hash, error) {
	layers := []v1.Layer{static.NewLayer(data, sign.BundleMediaType)}
	return pushArtifact(repo.Digest(subject.Digest.String()), sign.BundleMediaType, emptyConfigType, layers, nil, &subject, ann, opts)
}

// bundleAnnotations are those cosign puts on a bundle referrer: what the bundle holds
// and, for a statement, its predicate type.
func bundleAnnotations(b *protobundle.Bundle) map[string]string {
	ann := map[string]string{"dev.sigstore.bundle.content": "message-signature"}
	if env := b.GetDsseEnvelope(); env != nil {
		ann["dev.sigstore.bundle.content"] = "dsse-envelope"
		var st struct {
			PredicateType string `json:"predicateType"`
		}
		if json.Unmarshal(env.GetPayload(), &st) == nil && st.PredicateType != "" {
			ann["dev.sigstore.bundle.predicateType"] = st.PredicateType
		}
	}
	return ann
}

// AttachCosign pushes cosign signatures in cosign's tag scheme: an image tagged
// sha256-<hex>.sig in the image's repository, one simple-signing layer per signature.
// It replaces what the tag held.
func AttachCosign(repo name.Repository, digest v1.Hash, sigs []Layer, opts ...remote.Option) error {
	tag := repo.Tag(strings.Replace(digest.String(), ":", "-", 1) + ".sig")
	layers, ann := cosignLayers(sigs)
	_, err := pushArtifact(tag, "", string(types.OCIConfigJSON), layers, ann, nil, nil, opts)
	return err
}

// AttachCosignReferrer pushes cosign signatures as cosign does in its OCI 1.1 mode: a
// referrer of subject with artifactType application/vnd.dev.cosign.artifact.sig.v1+json.
func AttachCosignReferrer(repo name.Repository, subject v1.Descriptor, sigs []Layer, opts ...remote.Option) (v1.Hash, error) {
	layers, ann := cosignLayers(sigs)
	return pushArtifact(repo.Digest(subject.Digest.String()), sign.CosignArtifactType, emptyConfigType, layers, ann, &subject, nil, opts)
}

func cosignLayers(sigs []Layer) ([]v1.Layer, []map[string]string) {
	var layers []v1.Layer
	var ann []map[string]string
	for _, s := range sigs {
		layers = append(layers, static.NewLayer(s.Payload, sign.SimpleSigningMediaType))
		ann = append(ann, s.Annotations)
	}
	return layers, ann
}

// pushArtifact uploads the blobs and then the manifest: by digest when it has a subject
// (ref then only names the repository), at ref's tag otherwise.
func pushArtifact(ref name.Reference, artifactType, configType string, layers []v1.Layer, layerAnn []map[string]string,
	subject *v1.Descriptor, ann map[string]string, opts []remote.Option) (v1.Hash, error) {
	repo := ref.Context()
	config := static.NewLayer([]byte("{}"), types.MediaType(configType))
	mf := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  artifactType,
		Annotations:   ann,
		Subject:       subject,
	}
	var err error
	if mf.Config, err = upload(repo, config, nil, opts); err != nil {
		return v1.Hash{}, err
	}
	for i, l := range layers {
		var a map[string]string
		if i < len(layerAnn) {
			a = layerAnn[i]
		}
		desc, err := upload(repo, l, a, opts)
		if err != nil {
			return v1.Hash{}, err
		}
		mf.Layers = append(mf.Layers, desc)
	}
	raw, err := json.Marshal(mf)
	if err != nil {
		return v1.Hash{}, err
	}
	h, _, err := v1.SHA256(strings.NewReader(string(raw)))
	if err != nil {
		return v1.Hash{}, err
	}
	if subject != nil {
		ref = repo.Digest(h.String())
	}
	return h, remote.Put(ref, rawManifest(raw), opts...)
}

func upload(repo name.Repository, l v1.Layer, ann map[string]string, opts []remote.Option) (v1.Descriptor, error) {
	if err := remote.WriteLayer(repo, l, opts...); err != nil {
		return v1.Descriptor{}, err
	}
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	size, err := l.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	mt, err := l.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Size: size, Digest: d, Annotations: ann}, nil
}

// rawManifest is a manifest pushed as written.
type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error)        { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

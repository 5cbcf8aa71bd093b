// Package signtest makes image signatures for tests: keyed ones with ECDSA P-256 keys
// generated in the test, keyless ones from a virtual Sigstore (sigstore-go's
// pkg/testing/ca: a Fulcio CA, a Rekor log and a timestamp authority in memory), and
// pushes them to a registry as cosign and Sigstore clients do (OCI 1.1 referrers, and
// cosign's sha256-<hex>.sig tag). It also writes the virtual Sigstore's trusted root as a
// trusted_root.json, which is what a policy reads.
//
// It is for tests only: nothing here is secret or durable.
package signtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/moat-dev/moat/internal/image/sign"
)

// Key is an ECDSA P-256 key pair made for a test.
type Key struct {
	Private *ecdsa.PrivateKey
}

// NewKey generates a key.
func NewKey() (*Key, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &Key{Private: priv}, nil
}

// PublicPEM is the public key as cosign writes it (PKIX, "PUBLIC KEY").
func (k *Key) PublicPEM() string {
	der, err := x509.MarshalPKIXPublicKey(&k.Private.PublicKey)
	if err != nil {
		panic(err) // a P-256 key always marshals
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// signDigest signs a SHA-256 digest (ASN.1 ECDSA, as Sigstore does).
func (k *Key) signDigest(digest []byte) ([]byte, error) {
	return ecdsa.SignASN1(rand.Reader, k.Private, digest)
}

// MessageBundle is a Sigstore bundle v0.3 whose message signature is over the image
// digest (the digest of its manifest), signed with the key.
func (k *Key) MessageBundle(digest v1.Hash) (*protobundle.Bundle, error) {
	raw, err := hex.DecodeString(digest.Hex)
	if err != nil {
		return nil, err
	}
	sig, err := k.signDigest(raw)
	if err != nil {
		return nil, err
	}
	return &protobundle.Bundle{
		MediaType:            sign.BundleMediaType,
		VerificationMaterial: keyMaterial(),
		Content:              messageSignature(raw, sig),
	}, nil
}

// StatementBundle is a Sigstore bundle v0.3 with a DSSE envelope: an in-toto statement
// about the image digest with the given predicate type (sign.CosignSignPredicate for
// what cosign 3 writes when it signs an image), signed with the key.
func (k *Key) StatementBundle(imageName string, digest v1.Hash, predicateType string) (*protobundle.Bundle, error) {
	stmt, err := Statement(imageName, digest, predicateType)
	if err != nil {
		return nil, err
	}
	pae := PAE(inToto, stmt)
	sum := sha256.Sum256(pae)
	sig, err := k.signDigest(sum[:])
	if err != nil {
		return nil, err
	}
	return &protobundle.Bundle{
		MediaType:            sign.BundleMediaType,
		VerificationMaterial: keyMaterial(),
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload:     stmt,
			PayloadType: inToto,
			Signatures:  []*protodsse.Signature{{Sig: sig}},
		}},
	}, nil
}

// CosignLayer is a cosign signature in the tag scheme: the simple-signing payload and
// the signature annotation, signed with the key.
func (k *Key) CosignLayer(payload []byte) (Layer, error) {
	sum := sha256.Sum256(payload)
	sig, err := k.signDigest(sum[:])
	if err != nil {
		return Layer{}, err
	}
	return Layer{Payload: payload, Annotations: map[string]string{
		sign.AnnotationSignature: base64.StdEncoding.EncodeToString(sig),
	}}, nil
}

const inToto = "application/vnd.in-toto+json"

// Statement is an in-toto v1 statement about one image digest.
func Statement(imageName string, digest v1.Hash, predicateType string) ([]byte, error) {
	return json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []map[string]any{{"name": imageName, "digest": map[string]string{digest.Algorithm: digest.Hex}}},
		"predicateType": predicateType,
		"predicate":     map[string]any{},
	})
}

// PAE is DSSE's pre-authentication encoding: what a DSSE signature signs.
func PAE(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

// SimpleSigningPayload is the payload cosign signs for an image: it names the image by
// its digest.
func SimpleSigningPayload(imageName string, digest v1.Hash) []byte {
	var p sign.SimpleSigning
	p.Critical.Identity.DockerReference = imageName
	p.Critical.Image.DockerManifestDigest = digest.String()
	p.Critical.Type = "cosign container image signature"
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // plain strings always marshal
	}
	return b
}

// BundleJSON is the bundle as clients write it.
func BundleJSON(b *protobundle.Bundle) ([]byte, error) {
	return protojson.Marshal(b)
}

func keyMaterial() *protobundle.VerificationMaterial {
	return &protobundle.VerificationMaterial{
		Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{}},
	}
}

func messageSignature(digest, sig []byte) *protobundle.Bundle_MessageSignature {
	return &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
		MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: digest},
		Signature:     sig,
	}}
}

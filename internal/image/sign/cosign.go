package sign

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
)

// What cosign writes, in its tag scheme (sha256-<hex>.sig) and in its OCI 1.1 signature
// artifacts: one layer per signature, the signed payload as the layer, the rest as the
// layer's annotations.
const (
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	CosignArtifactType     = "application/vnd.dev.cosign.artifact.sig.v1+json"
	BundleMediaType        = "application/vnd.dev.sigstore.bundle.v0.3+json"

	AnnotationSignature   = "dev.cosignproject.cosign/signature"
	AnnotationCertificate = "dev.sigstore.cosign/certificate"
	AnnotationChain       = "dev.sigstore.cosign/chain"
	AnnotationBundle      = "dev.sigstore.cosign/bundle"
	AnnotationTimestamp   = "dev.sigstore.cosign/rfc3161timestamp"

	// bundleV01 is the media type given to bundles built from cosign's annotations: their
	// log entries carry a signed entry timestamp but no inclusion proof, as in v0.1.
	bundleV01 = "application/vnd.dev.sigstore.bundle+json;version=0.1"
)

// SimpleSigning is the payload cosign signs for an image (the "simple signing" format
// of containers/image): it names the image by digest.
type SimpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional,omitempty"`
}

// ParseSimpleSigning reads a simple-signing payload and checks that it names an image
// digest.
func ParseSimpleSigning(payload []byte) (*SimpleSigning, error) {
	var ss SimpleSigning
	if err := json.Unmarshal(payload, &ss); err != nil {
		return nil, fmt.Errorf("simple-signing payload: %w", err)
	}
	d := ss.Critical.Image.DockerManifestDigest
	if d == "" {
		return nil, errors.New("simple-signing payload: critical.image.docker-manifest-digest is missing")
	}
	if err := checkDigest(d); err != nil {
		return nil, fmt.Errorf("simple-signing payload: critical.image.docker-manifest-digest: %w", err)
	}
	return &ss, nil
}

// checkDigest accepts "sha256:<64 lower-case hex>" only: what every image digest here
// is, as the OCI image spec writes it.
func checkDigest(d string) error {
	hexPart, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hexPart) != 64 || strings.Trim(hexPart, "0123456789abcdef") != "" {
		return fmt.Errorf("%q is not a sha256 digest", d)
	}
	return nil
}

// rekorBundle is cosign's dev.sigstore.cosign/bundle annotation: a Rekor v1 entry and
// its signed entry timestamp.
type rekorBundle struct {
	SignedEntryTimestamp []byte `json:"SignedEntryTimestamp"`
	Payload              struct {
		Body           string `json:"body"` // base64 of the canonicalized entry
		IntegratedTime int64  `json:"integratedTime"`
		LogIndex       int64  `json:"logIndex"`
		LogID          string `json:"logID"` // hex
	} `json:"Payload"`
}

// rfc3161Annotation is cosign's dev.sigstore.cosign/rfc3161timestamp annotation.
type rfc3161Annotation struct {
	SignedRFC3161Timestamp []byte `json:"SignedRFC3161Timestamp"`
}

// CosignBundle turns one cosign signature (its payload and its layer's annotations) into
// a Sigstore bundle that signs the payload, so that sigstore-go can verify it.
func CosignBundle(payload []byte, annotations map[string]string) (*bundle.Bundle, error) {
	sigB64, ok := annotations[AnnotationSignature]
	if !ok {
		return nil, fmt.Errorf("annotation %s is missing", AnnotationSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) == 0 {
		return nil, fmt.Errorf("annotation %s: not base64", AnnotationSignature)
	}
	material, err := cosignMaterial(annotations)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(payload)
	pb := &protobundle.Bundle{
		MediaType:            bundleV01,
		VerificationMaterial: material,
		Content: &protobundle.Bundle_MessageSignature{MessageSignature: &protocommon.MessageSignature{
			MessageDigest: &protocommon.HashOutput{Algorithm: protocommon.HashAlgorithm_SHA2_256, Digest: digest[:]},
			Signature:     sig,
		}},
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, fmt.Errorf("cosign signature: %w", err)
	}
	return b, nil
}

// cosignMaterial is the certificate (or the key hint), log entry and timestamp of a
// cosign signature.
func cosignMaterial(annotations map[string]string) (*protobundle.VerificationMaterial, error) {
	m := &protobundle.VerificationMaterial{
		Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{}},
	}
	if certPEM := annotations[AnnotationCertificate]; certPEM != "" {
		block, _ := pem.Decode([]byte(certPEM))
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("annotation %s: not a PEM certificate", AnnotationCertificate)
		}
		// Only the leaf: the intermediates come from the trusted root, never from the
		// signature (the chain annotation is not trusted).
		m.Content = &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: block.Bytes}}
	}
	if raw := annotations[AnnotationBundle]; raw != "" {
		entry, err := cosignLogEntry(raw)
		if err != nil {
			return nil, fmt.Errorf("annotation %s: %w", AnnotationBundle, err)
		}
		m.TlogEntries = []*protorekor.TransparencyLogEntry{entry}
	}
	if raw := annotations[AnnotationTimestamp]; raw != "" {
		var ts rfc3161Annotation
		if err := json.Unmarshal([]byte(raw), &ts); err != nil || len(ts.SignedRFC3161Timestamp) == 0 {
			return nil, fmt.Errorf("annotation %s: want {\"SignedRFC3161Timestamp\": base64}", AnnotationTimestamp)
		}
		m.TimestampVerificationData = &protobundle.TimestampVerificationData{
			Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: ts.SignedRFC3161Timestamp}},
		}
	}
	return m, nil
}

// cosignLogEntry turns cosign's Rekor bundle annotation into a log entry.
func cosignLogEntry(raw string) (*protorekor.TransparencyLogEntry, error) {
	var rb rekorBundle
	if err := json.Unmarshal([]byte(raw), &rb); err != nil {
		return nil, err
	}
	body, err := base64.StdEncoding.DecodeString(rb.Payload.Body)
	if err != nil || len(body) == 0 {
		return nil, errors.New("Payload.body: not base64")
	}
	logID, err := hex.DecodeString(rb.Payload.LogID)
	if err != nil || len(logID) == 0 {
		return nil, errors.New("Payload.logID: not hex")
	}
	if len(rb.SignedEntryTimestamp) == 0 {
		return nil, errors.New("SignedEntryTimestamp is missing")
	}
	var kind struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(body, &kind); err != nil || kind.Kind == "" || kind.APIVersion == "" {
		return nil, errors.New("Payload.body: not a Rekor entry (kind and apiVersion)")
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:          rb.Payload.LogIndex,
		LogId:             &protocommon.LogId{KeyId: logID},
		KindVersion:       &protorekor.KindVersion{Kind: kind.Kind, Version: kind.APIVersion},
		IntegratedTime:    rb.Payload.IntegratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: rb.SignedEntryTimestamp},
		CanonicalizedBody: body,
	}, nil
}

// ParseBundle reads a Sigstore bundle (JSON, any version sigstore-go accepts).
func ParseBundle(data []byte) (*bundle.Bundle, error) {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("sigstore bundle: %w", err)
	}
	return &b, nil
}

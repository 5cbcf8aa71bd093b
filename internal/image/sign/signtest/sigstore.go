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
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"

	"github.com/moat-dev/moat/internal/image/sign"
)

// Sigstore is a virtual Sigstore for tests: sigstore-go's VirtualSigstore (its Fulcio
// CA issues the certificates, its Rekor key signs the log entries, its TSA the
// timestamps), plus a second certificate authority for certificates of any validity
// period (MessageBundleAt).
//
// The second authority exists because VirtualSigstore issues leaf certificates valid
// from the moment of signing for ten minutes and keeps its CA key unexported: it cannot
// issue a certificate that has expired by now. The trusted root names both authorities.
type Sigstore struct {
	VS *ca.VirtualSigstore

	pastRoot, pastIntermediate *x509.Certificate
	pastKey                    *ecdsa.PrivateKey
	logIndex                   atomic.Int64
}

// Identity is a keyless signer: the OIDC issuer and the subject of its certificate.
type Identity struct {
	Issuer, Subject string
}

// Omit leaves parts out of a keyless signature.
type Omit struct {
	Tlog      bool // no transparency log entry
	Timestamp bool // no RFC 3161 timestamp
}

// NewSigstore makes a virtual Sigstore.
func NewSigstore() (*Sigstore, error) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		return nil, err
	}
	pastRoot, pastRootKey, err := ca.GenerateRootCa()
	if err != nil {
		return nil, err
	}
	pastIntermediate, pastKey, err := ca.GenerateFulcioIntermediate(pastRoot, pastRootKey)
	if err != nil {
		return nil, err
	}
	s := &Sigstore{VS: vs, pastRoot: pastRoot, pastIntermediate: pastIntermediate, pastKey: pastKey}
	s.logIndex.Store(2000)
	return s, nil
}

// TrustedRootJSON is the virtual Sigstore's trusted root in Sigstore's trusted_root.json
// format: both certificate authorities, the Rekor log, the CT log and the TSA.
//
// VirtualSigstore's own TransparencyLog values carry the hex log ID as their ID bytes
// (its RekorLogs map is keyed by it), while the serialised form wants the raw key ID, so
// the logs are copied with their IDs decoded.
func (s *Sigstore) TrustedRootJSON() ([]byte, error) {
	rekor, err := rawLogIDs(s.VS.RekorLogs())
	if err != nil {
		return nil, err
	}
	ctlogs, err := rawLogIDs(s.VS.CTLogs())
	if err != nil {
		return nil, err
	}
	cas := append([]root.CertificateAuthority{}, s.VS.FulcioCertificateAuthorities()...)
	cas = append(cas, &root.FulcioCertificateAuthority{
		Root:                s.pastRoot,
		Intermediates:       []*x509.Certificate{s.pastIntermediate},
		ValidityPeriodStart: time.Now().Add(-24 * time.Hour),
		URI:                 "https://past.fulcio.test",
	})
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, cas, ctlogs, s.VS.TimestampingAuthorities(), rekor)
	if err != nil {
		return nil, err
	}
	return tr.MarshalJSON()
}

func rawLogIDs(logs map[string]*root.TransparencyLog) (map[string]*root.TransparencyLog, error) {
	out := map[string]*root.TransparencyLog{}
	for id, tl := range logs {
		raw, err := hex.DecodeString(id)
		if err != nil {
			return nil, fmt.Errorf("log ID %q: %w", id, err)
		}
		c := *tl
		c.ID = raw
		out[id] = &c
	}
	return out, nil
}

// MessageBundle is a keyless Sigstore bundle v0.3 whose message signature is over the
// image manifest (so over the image digest), with a certificate from the virtual CA, a
// hashedrekord entry in the virtual log (inclusion promise and proof) and a TSA
// timestamp, unless omitted.
func (s *Sigstore) MessageBundle(id Identity, manifest []byte, omit Omit) (*protobundle.Bundle, error) {
	e, err := s.VS.Sign(id.Subject, id.Issuer, manifest)
	if err != nil {
		return nil, err
	}
	return s.entityBundle(e, "hashedrekord", omit)
}

// StatementBundle is a keyless Sigstore bundle v0.3 with a DSSE in-toto statement about
// the image digest, logged (dsse entry, promise and proof) and timestamped unless omitted.
func (s *Sigstore) StatementBundle(id Identity, imageName string, digest v1.Hash, predicateType string, omit Omit) (*protobundle.Bundle, error) {
	stmt, err := Statement(imageName, digest, predicateType)
	if err != nil {
		return nil, err
	}
	e, err := s.VS.AttestAtTime(id.Subject, id.Issuer, stmt, time.Now().Add(5*time.Minute), true)
	if err != nil {
		return nil, err
	}
	return s.entityBundle(e, "dsse", omit)
}

// MessageBundleAt is a keyless bundle over the manifest with neither log entry nor
// timestamp, whose certificate (from the second CA) is valid for ten minutes from
// notBefore. With notBefore an hour ago the certificate has expired and nothing shows
// the signature was made while it was valid.
func (s *Sigstore) MessageBundleAt(id Identity, manifest []byte, notBefore time.Time) (*protobundle.Bundle, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leaf, err := ca.GenerateLeafCert(id.Subject, id.Issuer, notBefore, priv, s.pastIntermediate, s.pastKey)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(manifest)
	sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	if err != nil {
		return nil, err
	}
	return &protobundle.Bundle{
		MediaType:            sign.BundleMediaType,
		VerificationMaterial: certMaterial(leaf),
		Content:              messageSignature(digest[:], sig),
	}, nil
}

// CosignLayer is a keyless cosign signature in the tag scheme: the payload, its
// signature, the certificate, the Rekor bundle annotation (entry and signed entry
// timestamp) and the RFC 3161 timestamp annotation, unless omitted.
func (s *Sigstore) CosignLayer(id Identity, payload []byte, omit Omit) (Layer, error) {
	e, err := s.VS.Sign(id.Subject, id.Issuer, payload)
	if err != nil {
		return Layer{}, err
	}
	sc, err := e.SignatureContent()
	if err != nil {
		return Layer{}, err
	}
	vc, err := e.VerificationContent()
	if err != nil {
		return Layer{}, err
	}
	ann := map[string]string{
		sign.AnnotationSignature:   base64.StdEncoding.EncodeToString(sc.Signature()),
		sign.AnnotationCertificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: vc.Certificate().Raw})),
	}
	if !omit.Tlog {
		entries, err := e.TlogEntries()
		if err != nil {
			return Layer{}, err
		}
		tle := entries[0].TransparencyLogEntry()
		set, err := s.signedEntryTimestamp(tle)
		if err != nil {
			return Layer{}, err
		}
		rb, err := json.Marshal(map[string]any{
			"SignedEntryTimestamp": set,
			"Payload": map[string]any{
				"body":           base64.StdEncoding.EncodeToString(tle.GetCanonicalizedBody()),
				"integratedTime": tle.GetIntegratedTime(),
				"logIndex":       tle.GetLogIndex(),
				"logID":          hex.EncodeToString(tle.GetLogId().GetKeyId()),
			},
		})
		if err != nil {
			return Layer{}, err
		}
		ann[sign.AnnotationBundle] = string(rb)
	}
	if !omit.Timestamp {
		ts, err := e.Timestamps()
		if err != nil {
			return Layer{}, err
		}
		tb, err := json.Marshal(map[string][]byte{"SignedRFC3161Timestamp": ts[0]})
		if err != nil {
			return Layer{}, err
		}
		ann[sign.AnnotationTimestamp] = string(tb)
	}
	return Layer{Payload: payload, Annotations: ann}, nil
}

// LogKeyed adds to a keyed message-signature bundle a hashedrekord entry in the virtual
// log, with inclusion promise and proof, for the key's signature.
func (s *Sigstore) LogKeyed(b *protobundle.Bundle, key *Key) error {
	ms := b.GetMessageSignature()
	if ms == nil {
		return errors.New("LogKeyed takes a message-signature bundle")
	}
	body, err := json.Marshal(map[string]any{
		"apiVersion": "0.0.1",
		"kind":       "hashedrekord",
		"spec": map[string]any{
			"data": map[string]any{"hash": map[string]string{
				"algorithm": "sha256", "value": hex.EncodeToString(ms.GetMessageDigest().GetDigest()),
			}},
			"signature": map[string]any{
				"content":   base64.StdEncoding.EncodeToString(ms.GetSignature()),
				"publicKey": map[string]string{"content": base64.StdEncoding.EncodeToString([]byte(key.PublicPEM()))},
			},
		},
	})
	if err != nil {
		return err
	}
	logID, err := s.VS.RekorLogID()
	if err != nil {
		return err
	}
	rawID, err := hex.DecodeString(logID)
	if err != nil {
		return err
	}
	tle := &protorekor.TransparencyLogEntry{
		LogIndex:          s.logIndex.Add(1),
		LogId:             &protocommon.LogId{KeyId: rawID},
		IntegratedTime:    time.Now().Unix(),
		CanonicalizedBody: body,
	}
	if err := s.complete(tle, "hashedrekord"); err != nil {
		return err
	}
	b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, tle)
	return nil
}

// entityBundle turns a VirtualSigstore TestEntity into a protobuf bundle v0.3. The
// entity cannot be serialised as it is: its log entries lack their kind, inclusion
// promise and (for message signatures) inclusion proof, which are rebuilt here with the
// virtual log's key.
func (s *Sigstore) entityBundle(e *ca.TestEntity, kind string, omit Omit) (*protobundle.Bundle, error) {
	vc, err := e.VerificationContent()
	if err != nil {
		return nil, err
	}
	sc, err := e.SignatureContent()
	if err != nil {
		return nil, err
	}
	b := &protobundle.Bundle{MediaType: sign.BundleMediaType, VerificationMaterial: certMaterial(vc.Certificate())}
	if env := sc.EnvelopeContent(); env != nil {
		raw := env.RawEnvelope()
		payload, err := base64.StdEncoding.DecodeString(raw.Payload)
		if err != nil {
			return nil, err
		}
		sig, err := base64.StdEncoding.DecodeString(raw.Signatures[0].Sig)
		if err != nil {
			return nil, err
		}
		b.Content = &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: raw.PayloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}}
	} else {
		ms := sc.MessageSignatureContent()
		b.Content = messageSignature(ms.Digest(), ms.Signature())
	}
	if !omit.Tlog {
		entries, err := e.TlogEntries()
		if err != nil {
			return nil, err
		}
		for _, entry := range entries {
			tle := entry.TransparencyLogEntry()
			if err := s.complete(tle, kind); err != nil {
				return nil, err
			}
			b.VerificationMaterial.TlogEntries = append(b.VerificationMaterial.TlogEntries, tle)
		}
	}
	if !omit.Timestamp {
		ts, err := e.Timestamps()
		if err != nil {
			return nil, err
		}
		tvd := &protobundle.TimestampVerificationData{}
		for _, t := range ts {
			tvd.Rfc3161Timestamps = append(tvd.Rfc3161Timestamps, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: t})
		}
		b.VerificationMaterial.TimestampVerificationData = tvd
	}
	return b, nil
}

// complete gives a Rekor v1 entry its kind, its signed entry timestamp and, when it has
// none, an inclusion proof in a one-entry tree.
func (s *Sigstore) complete(tle *protorekor.TransparencyLogEntry, kind string) error {
	tle.KindVersion = &protorekor.KindVersion{Kind: kind, Version: "0.0.1"}
	set, err := s.signedEntryTimestamp(tle)
	if err != nil {
		return err
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	if tle.InclusionProof != nil {
		return nil
	}
	proof, err := s.VS.GetInclusionProof(tle.GetCanonicalizedBody())
	if err != nil {
		return err
	}
	rootHash, err := hex.DecodeString(*proof.RootHash)
	if err != nil {
		return err
	}
	var hashes [][]byte
	for _, h := range proof.Hashes {
		raw, err := hex.DecodeString(h)
		if err != nil {
			return err
		}
		hashes = append(hashes, raw)
	}
	tle.InclusionProof = &protorekor.InclusionProof{
		LogIndex:   *proof.LogIndex,
		RootHash:   rootHash,
		TreeSize:   *proof.TreeSize,
		Hashes:     hashes,
		Checkpoint: &protorekor.Checkpoint{Envelope: *proof.Checkpoint},
	}
	return nil
}

// signedEntryTimestamp is the virtual log's signature over the entry, as Rekor v1 signs it.
func (s *Sigstore) signedEntryTimestamp(tle *protorekor.TransparencyLogEntry) ([]byte, error) {
	return s.VS.RekorSignPayload(tlog.RekorPayload{
		Body:           base64.StdEncoding.EncodeToString(tle.GetCanonicalizedBody()),
		IntegratedTime: tle.GetIntegratedTime(),
		LogIndex:       tle.GetLogIndex(),
		LogID:          hex.EncodeToString(tle.GetLogId().GetKeyId()),
	})
}

func certMaterial(cert *x509.Certificate) *protobundle.VerificationMaterial {
	return &protobundle.VerificationMaterial{
		Content: &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: cert.Raw}},
	}
}

package sign

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

const inTotoPayloadType = "application/vnd.in-toto+json"

func (m *ruleMaterial) acceptsPredicate(predicateType string) bool {
	return slices.Contains(m.predicates, predicateType)
}

// verify checks one signature against the rule: that what it signs names the digest,
// then everything else with sigstore-go. It returns who signed.
func (m *ruleMaterial) verify(sig foundSignature, digest v1.Hash) (string, error) {
	artifact, err := m.signedArtifact(sig, digest)
	if err != nil {
		return "", err
	}
	if err := m.checkRequired(sig.bundle); err != nil {
		return "", err
	}
	content, err := sig.bundle.VerificationContent()
	if err != nil {
		return "", err
	}
	if content.Certificate() != nil {
		return m.verifyKeyless(sig.bundle, artifact)
	}
	return m.verifyKeyed(sig.bundle, artifact)
}

// signedArtifact checks that what the signature signs is this image, and returns the
// artifact policy sigstore-go then verifies the signature against (a fresh one per
// call: a reader is spent by one verification).
//
// The checks here read signed data before the signature is verified; they only choose
// the reason given. sigstore-go verifies the same data afterwards.
func (m *ruleMaterial) signedArtifact(sig foundSignature, digest v1.Hash) (func() verify.ArtifactPolicyOption, error) {
	if digest.Algorithm != "sha256" {
		return nil, fmt.Errorf("image digest %s is not sha256", digest)
	}
	raw, err := hex.DecodeString(digest.Hex)
	if err != nil {
		return nil, fmt.Errorf("image digest %s: %w", digest, err)
	}
	if sig.payload != nil {
		// A cosign signature signs a payload that names the image.
		ss, err := ParseSimpleSigning(sig.payload)
		if err != nil {
			return nil, err
		}
		if named := ss.Critical.Image.DockerManifestDigest; named != digest.String() {
			return nil, fmt.Errorf("signed payload names %s, not this image's %s", named, digest)
		}
		payload := sig.payload
		return func() verify.ArtifactPolicyOption { return verify.WithArtifact(bytes.NewReader(payload)) }, nil
	}
	// A bundle signs the image digest, or a statement about it.
	if ms := sig.bundle.GetMessageSignature(); ms != nil {
		md := ms.GetMessageDigest()
		if md.GetAlgorithm() != protocommon.HashAlgorithm_SHA2_256 {
			return nil, fmt.Errorf("message signature digest is %s, not SHA2_256", md.GetAlgorithm())
		}
		if !bytes.Equal(md.GetDigest(), raw) {
			return nil, fmt.Errorf("signature is over sha256:%x, not this image's %s", md.GetDigest(), digest)
		}
	} else if err := m.checkStatement(sig.bundle, digest); err != nil {
		return nil, err
	}
	return func() verify.ArtifactPolicyOption { return verify.WithArtifactDigest("sha256", raw) }, nil
}

// statement is the part of an in-toto statement read before verification.
type statement struct {
	Subject []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	PredicateType string `json:"predicateType"`
}

// checkStatement checks that a DSSE bundle is an in-toto statement about the digest
// with a predicate the rule takes as a signature.
func (m *ruleMaterial) checkStatement(b *bundle.Bundle, digest v1.Hash) error {
	env := b.GetDsseEnvelope()
	if env == nil {
		return errors.New("bundle has neither a message signature nor a DSSE envelope")
	}
	if env.GetPayloadType() != inTotoPayloadType {
		return fmt.Errorf("DSSE payload type is %q, not an in-toto statement", env.GetPayloadType())
	}
	var st statement
	if err := json.Unmarshal(env.GetPayload(), &st); err != nil {
		return fmt.Errorf("DSSE payload: %w", err)
	}
	if !m.acceptsPredicate(st.PredicateType) {
		return fmt.Errorf("statement's predicate type %q is not one the rule takes as a signature (predicateTypes: %s)", st.PredicateType, strings.Join(m.predicates, ", "))
	}
	var named []string
	for _, s := range st.Subject {
		if s.Digest["sha256"] == digest.Hex {
			return nil
		}
		if d, ok := s.Digest["sha256"]; ok {
			named = append(named, "sha256:"+d)
		}
	}
	if len(named) == 0 {
		return errors.New("signed statement names no sha256 subject")
	}
	return fmt.Errorf("signed statement is about %s, not this image's %s", strings.Join(named, ", "), digest)
}

// checkRequired gives a plain reason when the rule asks for a log entry or a timestamp
// the signature does not carry at all.
func (m *ruleMaterial) checkRequired(b *bundle.Bundle) error {
	if m.rule.RequireTlog && !hasTlog(b) {
		return errors.New("the rule requires a transparency log entry and the signature has none")
	}
	if m.rule.RequireTimestamp && !hasTimestamp(b) {
		return errors.New("the rule requires an RFC 3161 timestamp and the signature has none")
	}
	return nil
}

func hasTlog(b *bundle.Bundle) bool {
	return len(b.GetVerificationMaterial().GetTlogEntries()) > 0
}

func hasTimestamp(b *bundle.Bundle) bool {
	return len(b.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps()) > 0
}

// verifyKeyless verifies a certificate signature: chain to a Fulcio CA of the trusted
// root at a verified time, log entries and timestamps, and the identity.
func (m *ruleMaterial) verifyKeyless(b *bundle.Bundle, artifact func() verify.ArtifactPolicyOption) (string, error) {
	if len(m.identities) == 0 {
		return "", errors.New("signed with a certificate, but the rule names no keyless identities")
	}
	if m.root == nil {
		return "", errors.New("signed with a certificate, but the rule has no trusted root")
	}
	v, err := verify.NewVerifier(m.root, m.keylessOptions(b)...)
	if err != nil {
		return "", err
	}
	var ids []verify.PolicyOption
	for _, id := range m.identities {
		ids = append(ids, verify.WithCertificateIdentity(id))
	}
	res, err := v.Verify(b, verify.NewPolicy(artifact(), ids...))
	if err != nil {
		return "", m.explainKeyless(b, err)
	}
	if err := m.checkVerifiedStatement(res); err != nil {
		return "", err
	}
	cert := res.Signature.Certificate
	return fmt.Sprintf("issuer %q subject %q", cert.Issuer, cert.SubjectAlternativeName), nil
}

// keylessOptions: what the rule requires, what the signature carries is verified, and a
// certificate is checked at the verified times. Only a signature with no log entry and
// no timestamp is checked at the current time, which a short-lived certificate fails.
func (m *ruleMaterial) keylessOptions(b *bundle.Bundle) []verify.VerifierOption {
	var opts []verify.VerifierOption
	if m.rule.RequireTlog || hasTlog(b) {
		opts = append(opts, verify.WithTransparencyLog(1))
	}
	if m.rule.RequireTimestamp {
		opts = append(opts, verify.WithSignedTimestamps(1))
	}
	if m.rule.RequireTlog || m.rule.RequireTimestamp || hasTlog(b) || hasTimestamp(b) {
		opts = append(opts, verify.WithObserverTimestamps(1))
	} else {
		opts = append(opts, verify.WithCurrentTime())
	}
	return opts
}

// verifyKeyed tries the rule's keys in turn.
func (m *ruleMaterial) verifyKeyed(b *bundle.Bundle, artifact func() verify.ArtifactPolicyOption) (string, error) {
	if len(m.keys) == 0 {
		return "", errors.New("signed with a key, but the rule names no keys")
	}
	var failures []string
	for _, key := range m.keys {
		material := key.material
		if m.root != nil {
			material = root.TrustedMaterialCollection{m.root, key.material}
		}
		v, err := verify.NewVerifier(material, m.keyedOptions(b)...)
		if err != nil {
			return "", err
		}
		res, err := v.Verify(b, verify.NewPolicy(artifact(), verify.WithKey()))
		if err == nil {
			err = m.checkVerifiedStatement(res)
		}
		if err == nil {
			return key.describe(), nil
		}
		failures = append(failures, key.describe()+": "+err.Error())
	}
	if len(failures) == 1 {
		return "", errors.New(failures[0])
	}
	return "", fmt.Errorf("verifies with none of the rule's %d keys: %s", len(failures), strings.Join(failures, "; "))
}

// keyedOptions: keys have no validity period, so no time is needed unless the rule asks
// for a log entry or timestamp; entries present are verified when there is a trusted
// root to verify them with.
func (m *ruleMaterial) keyedOptions(b *bundle.Bundle) []verify.VerifierOption {
	var opts []verify.VerifierOption
	if m.rule.RequireTlog || (hasTlog(b) && m.root != nil) {
		opts = append(opts, verify.WithTransparencyLog(1))
	}
	if m.rule.RequireTimestamp {
		return append(opts, verify.WithSignedTimestamps(1))
	}
	return append(opts, verify.WithNoObserverTimestamps())
}

// checkVerifiedStatement checks the predicate type of a verified DSSE statement.
func (m *ruleMaterial) checkVerifiedStatement(res *verify.VerificationResult) error {
	if res.Statement != nil && !m.acceptsPredicate(res.Statement.GetPredicateType()) {
		return fmt.Errorf("statement's predicate type %q is not one the rule takes as a signature", res.Statement.GetPredicateType())
	}
	return nil
}

// explainKeyless turns sigstore-go's error into a reason a person can act on.
func (m *ruleMaterial) explainKeyless(b *bundle.Bundle, err error) error {
	content, cerr := b.VerificationContent()
	if cerr != nil {
		return err
	}
	sum, serr := certificate.SummarizeCertificate(content.Certificate())
	var noMatch *verify.ErrNoMatchingCertificateIdentity
	if errors.As(err, &noMatch) && serr == nil {
		return m.identityMismatch(sum)
	}
	if cert := content.Certificate(); !hasTlog(b) && !hasTimestamp(b) && strings.Contains(err.Error(), "leaf certificate") {
		// Without a log entry or timestamp the certificate is checked at the current time.
		now := time.Now()
		switch {
		case now.After(cert.NotAfter):
			return fmt.Errorf("the certificate expired at %s and the signature has no transparency log entry or timestamp to show it was made before then: %w", cert.NotAfter.UTC().Format(time.RFC3339), err)
		case now.Before(cert.NotBefore):
			return fmt.Errorf("the certificate is not valid before %s and the signature has no transparency log entry or timestamp: %w", cert.NotBefore.UTC().Format(time.RFC3339), err)
		}
	}
	return err
}

// identityMismatch says whether the issuer or the subject is not the rule's.
func (m *ruleMaterial) identityMismatch(sum certificate.Summary) error {
	want := make([]string, len(m.rule.Keyless))
	for i, id := range m.rule.Keyless {
		want[i] = id.String()
	}
	issuerKnown := false
	for _, id := range m.identities {
		if id.Issuer.Verify(sum) == nil {
			issuerKnown = true
		}
	}
	if !issuerKnown {
		return fmt.Errorf("certificate issuer %q is none of the rule's keyless identities (%s)", sum.Issuer, strings.Join(want, " or "))
	}
	return fmt.Errorf("certificate subject %q (issuer %q) is none of the rule's keyless identities (%s)", sum.SubjectAlternativeName, sum.Issuer, strings.Join(want, " or "))
}

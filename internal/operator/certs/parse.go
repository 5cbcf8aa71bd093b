package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Keys of the Secret and its annotations.
const (
	keyCert   = corev1.TLSCertKey       // tls.crt: the serving certificate
	keyKey    = corev1.TLSPrivateKeyKey // tls.key: its key
	keyCACert = "ca.crt"                // the CA bundle: the signing CA first, then CAs still trusted
	keyCAKey  = "ca.key"                // the signing CA's key

	// annCARotatedAt is when every caBundle last gained a CA: a serving certificate
	// signed by a new CA waits a grace period after it.
	annCARotatedAt = "certs.moat.dev/ca-rotated-at"
	// annCertRotatedAt is when the serving certificate was written: CAs that do not
	// sign it leave the bundles a grace period after it.
	annCertRotatedAt = "certs.moat.dev/cert-rotated-at"
)

// Bounds on what is read from the Secret and the webhook configurations. A P-256
// certificate is under 1 KiB as PEM.
const (
	maxFieldBytes  = 64 << 10
	maxBundleCerts = 16
)

// secretState is what the Secret holds, each part either usable or with the reason
// it is not.
type secretState struct {
	signer        *authority
	signerProblem string

	bundle        []*x509.Certificate // ca.crt, in order
	bundleProblem string

	serving        *servingPair
	servingProblem string

	caRotatedAt, certRotatedAt time.Time // zero: absent or unreadable
}

// readSecret reads a Secret's data and annotations. It never fails: what cannot be
// used is nil with its reason, and the Rotator replaces it.
func readSecret(data map[string][]byte, annotations map[string]string, now time.Time) secretState {
	var s secretState
	bundle, err := parseCerts(keyCACert, data[keyCACert])
	if err != nil {
		s.bundleProblem = err.Error()
	}
	s.bundle = bundle
	s.signer, err = readSigner(bundle, s.bundleProblem, data[keyCAKey], now)
	if err != nil {
		s.signerProblem = err.Error()
	}
	s.serving, err = readServing(data[keyCert], data[keyKey], now)
	if err != nil {
		s.servingProblem = err.Error()
	}
	s.caRotatedAt = readTime(annotations[annCARotatedAt])
	s.certRotatedAt = readTime(annotations[annCertRotatedAt])
	return s
}

// readSigner finds the CA certificate of ca.key in the bundle.
func readSigner(bundle []*x509.Certificate, bundleProblem string, keyPEM []byte, now time.Time) (*authority, error) {
	if bundleProblem != "" {
		return nil, errors.New(bundleProblem)
	}
	key, err := parseKey(keyCAKey, keyPEM)
	if err != nil {
		return nil, err
	}
	for _, c := range bundle {
		if !key.PublicKey.Equal(c.PublicKey) {
			continue
		}
		if err := checkCA(c, now); err != nil {
			return nil, err
		}
		return &authority{cert: c, key: key, certPEM: certToPEM(c.Raw), keyPEM: keyPEM}, nil
	}
	return nil, fmt.Errorf("%s: no certificate for the key in %s", keyCACert, keyCAKey)
}

// checkCA says why c cannot sign now, if it cannot.
func checkCA(c *x509.Certificate, now time.Time) error {
	switch {
	case !c.BasicConstraintsValid || !c.IsCA:
		return fmt.Errorf("%s: %q is not a CA certificate", keyCACert, c.Subject.CommonName)
	case c.KeyUsage&x509.KeyUsageCertSign == 0:
		return fmt.Errorf("%s: %q may not sign certificates (key usage)", keyCACert, c.Subject.CommonName)
	case now.Before(c.NotBefore):
		return fmt.Errorf("%s: CA %q is not valid before %s", keyCACert, c.Subject.CommonName, c.NotBefore.UTC().Format(time.RFC3339))
	case !now.Before(c.NotAfter):
		return fmt.Errorf("%s: CA %q expired at %s", keyCACert, c.Subject.CommonName, c.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// readServing reads tls.crt (the first certificate is the serving one) and tls.key.
func readServing(certPEM, keyPEM []byte, now time.Time) (*servingPair, error) {
	certs, err := parseCerts(keyCert, certPEM)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyKey, keyPEM)
	if err != nil {
		return nil, err
	}
	c := certs[0]
	switch {
	case !key.PublicKey.Equal(c.PublicKey):
		return nil, fmt.Errorf("%s and %s do not match: the key is not the certificate's", keyCert, keyKey)
	case now.Before(c.NotBefore):
		return nil, fmt.Errorf("%s: not valid before %s", keyCert, c.NotBefore.UTC().Format(time.RFC3339))
	case !now.Before(c.NotAfter):
		return nil, fmt.Errorf("%s: expired at %s", keyCert, c.NotAfter.UTC().Format(time.RFC3339))
	}
	return &servingPair{cert: c, certPEM: certPEM, keyPEM: keyPEM}, nil
}

// parseCerts reads a PEM bundle of certificates: nothing else in it, at most
// maxBundleCerts of them in at most maxFieldBytes.
func parseCerts(field string, data []byte) ([]*x509.Certificate, error) {
	if err := checkSize(field, data); err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s: PEM block %d is %q, want CERTIFICATE", field, n, block.Type)
		}
		if n > maxBundleCerts {
			return nil, fmt.Errorf("%s: more than %d certificates", field, maxBundleCerts)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %w", field, n, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", field)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("%s: %d bytes that are not PEM after certificate %d", field, len(rest), len(out))
	}
	return out, nil
}

// parseKey reads one ECDSA private key, PKCS #8 or SEC 1.
func parseKey(field string, data []byte) (*ecdsa.PrivateKey, error) {
	if err := checkSize(field, data); err != nil {
		return nil, err
	}
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM private key", field)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("%s: more than one PEM block", field)
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%s: PEM block is %q, want PRIVATE KEY", field, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: a %T key, want ECDSA", field, key)
	}
	return ec, nil
}

func checkSize(field string, data []byte) error {
	switch {
	case len(data) == 0:
		return fmt.Errorf("%s: missing", field)
	case len(data) > maxFieldBytes:
		return fmt.Errorf("%s: %d bytes, more than the %d a certificate bundle may take", field, len(data), maxFieldBytes)
	}
	return nil
}

// readTime reads an annotation's time; zero when absent or unreadable.
func readTime(s string) time.Time {
	if s == "" || len(s) > 64 {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

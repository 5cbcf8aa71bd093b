package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// backdate is how far before now a certificate becomes valid: an API server whose
// clock is a little behind the operator's must not see a certificate from the future.
const backdate = 5 * time.Minute

// authority is a CA that signs serving certificates.
type authority struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	keyPEM  []byte
}

// servingPair is a serving certificate and its key, as PEM.
type servingPair struct {
	cert    *x509.Certificate
	certPEM []byte
	keyPEM  []byte
}

// notAfter is now+d rounded up to a whole second: certificates hold whole seconds,
// and rounding down would make a certificate due for renewal sooner than planned.
func notAfter(now time.Time, d time.Duration) time.Time {
	t := now.Add(d)
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// newAuthority makes a self-signed CA valid for caLifetimes serving lifetimes.
func newAuthority(service string, validity time.Duration, now time.Time) (*authority, error) {
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "moat webhook CA for " + service + " " + now.UTC().Format(time.RFC3339)},
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter(now, caLifetimes*validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true, // it signs leaves only
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	cert, key, keyPEM, err := create(tmpl, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	return &authority{cert: cert, key: key, certPEM: certToPEM(cert.Raw), keyPEM: keyPEM}, nil
}

// issue signs a serving certificate for these names, valid for validity but never
// beyond the CA.
func (a *authority) issue(n names, validity time.Duration, now time.Time) (*servingPair, error) {
	end := notAfter(now, validity)
	if end.After(a.cert.NotAfter) {
		end = a.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: n.common},
		DNSNames:              n.dns,
		IPAddresses:           n.netIPs(),
		NotBefore:             now.Add(-backdate),
		NotAfter:              end,
		BasicConstraintsValid: true,
		// An ECDSA key signs the handshake; it never enciphers a key.
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	cert, _, keyPEM, err := create(tmpl, a.cert, a.key)
	if err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}
	return &servingPair{cert: cert, certPEM: certToPEM(cert.Raw), keyPEM: keyPEM}, nil
}

// create makes a P-256 key and a certificate of tmpl for it, with a random serial
// number, signed by parent's key, or by its own when parent is nil.
func create(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	if tmpl.SerialNumber, err = serialNumber(); err != nil {
		return nil, nil, nil, err
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, err
	}
	keyPEM, err := keyToPEM(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return cert, key, keyPEM, nil
}

func serialNumber() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // never 0
}

func certToPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyToPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// bundlePEM is the certificates as one PEM bundle, in order.
func bundlePEM(certs []*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, certToPEM(c.Raw)...)
	}
	return out
}

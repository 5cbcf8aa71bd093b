// Package tlstest issues throwaway certificates for tests of Moat's TLS servers: a CA,
// serving certificates for 127.0.0.1 and client certificates, written as PEM files the
// way a Secret volume holds them. It is for tests only.
package tlstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA signs certificates. Pool trusts it; PEM is its certificate.
type CA struct {
	Cert *x509.Certificate
	Pool *x509.CertPool
	PEM  []byte
	key  crypto.Signer
}

// NewCA makes a CA with an ECDSA P-256 key, valid for an hour either side of now.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	key := ecKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{Cert: cert, Pool: pool, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}
}

// Cert says what to issue.
type Cert struct {
	Serial int64
	Client bool // a client certificate; else a serving one for 127.0.0.1
	RSA    bool // an RSA 2048 key; else ECDSA P-256
}

// Issue writes the certificate and key as tls.crt and tls.key in dir, each written
// aside and renamed as a Secret volume update does, and returns their paths.
func (ca *CA) Issue(t testing.TB, dir string, c Cert) (certFile, keyFile string) {
	t.Helper()
	der, key := ca.sign(t, c)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	WriteAtomic(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	WriteAtomic(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
	return certFile, keyFile
}

// Pair is a certificate and key in memory, for a client's tls.Config.Certificates.
func (ca *CA) Pair(t testing.TB, c Cert) tls.Certificate {
	t.Helper()
	der, key := ca.sign(t, c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func (ca *CA) sign(t testing.TB, c Cert) ([]byte, crypto.Signer) {
	t.Helper()
	var key crypto.Signer
	if c.RSA {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	} else {
		key = ecKey(t)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(c.Serial), Subject: pkix.Name{CommonName: "moat-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if c.RSA {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	if c.Client {
		tmpl.Subject.CommonName = "kube-apiserver"
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

// WriteAtomic writes data to path through a rename.
func WriteAtomic(t testing.TB, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

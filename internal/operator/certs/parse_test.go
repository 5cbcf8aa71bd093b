package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadSecret: each way a Secret edited by hand can be broken is reported with the
// field it is in, never a panic, and valid contents in either key format are read.
func TestReadSecret(t *testing.T) {
	w := newWorld(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(t, rsaKey)})
	sec1PEM := func() []byte {
		der, err := x509.MarshalECPrivateKey(w.cert1.keyPEMKey(t))
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	}()
	oversized := bytes.Repeat(w.ca1.certPEM, maxFieldBytes/len(w.ca1.certPEM)+1)
	tooMany := bytes.Repeat(w.ca1.certPEM, maxBundleCerts+1)

	tests := []struct {
		name                    string
		data                    map[string][]byte
		signer, bundle, serving string // "" = usable, else a part of the problem
	}{
		{name: "valid, PKCS #8 keys", data: data(w.ca1.certPEM, w.ca1.keyPEM, w.cert1.certPEM, w.cert1.keyPEM)},
		{name: "valid, SEC 1 serving key", data: data(w.ca1.certPEM, w.ca1.keyPEM, w.cert1.certPEM, sec1PEM)},
		{name: "empty", data: data(nil, nil, nil, nil),
			signer: "ca.crt: missing", bundle: "ca.crt: missing", serving: "tls.crt: missing"},
		{name: "text instead of PEM", data: data([]byte("hello"), []byte("hello"), []byte("hello"), []byte("hello")),
			signer: "ca.crt: no PEM certificate", bundle: "ca.crt: no PEM certificate", serving: "tls.crt: no PEM certificate"},
		{name: "a key where certificates belong", data: data(w.ca1.keyPEM, w.ca1.keyPEM, w.cert1.keyPEM, w.cert1.keyPEM),
			signer: `ca.crt: PEM block 1 is "PRIVATE KEY"`, bundle: `PEM block 1 is "PRIVATE KEY"`, serving: `tls.crt: PEM block 1 is "PRIVATE KEY"`},
		{name: "certificates where keys belong", data: data(w.ca1.certPEM, w.ca1.certPEM, w.cert1.certPEM, w.cert1.certPEM),
			signer: `ca.key: PEM block is "CERTIFICATE"`, serving: `tls.key: PEM block is "CERTIFICATE"`},
		{name: "a truncated certificate", data: data(w.ca1.certPEM[:len(w.ca1.certPEM)/2], w.ca1.keyPEM, w.cert1.certPEM, w.cert1.keyPEM),
			signer: "ca.crt: no PEM certificate", bundle: "ca.crt: no PEM certificate"},
		{name: "PEM around bytes that are no certificate", data: data(pemOf("CERTIFICATE", []byte("not DER")), w.ca1.keyPEM, w.cert1.certPEM, w.cert1.keyPEM),
			signer: "ca.crt: certificate 1:", bundle: "ca.crt: certificate 1:"},
		{name: "junk after the certificates", data: data(cat(w.ca1.certPEM, []byte("junk")), w.ca1.keyPEM, w.cert1.certPEM, w.cert1.keyPEM),
			signer: "4 bytes that are not PEM after certificate 1", bundle: "not PEM"},
		{name: "an RSA key", data: data(w.ca1.certPEM, rsaPEM, w.cert1.certPEM, rsaPEM),
			signer: "ca.key: a *rsa.PrivateKey key, want ECDSA", serving: "tls.key: a *rsa.PrivateKey key, want ECDSA"},
		{name: "two keys in one field", data: data(w.ca1.certPEM, cat(w.ca1.keyPEM, w.ca2.keyPEM), w.cert1.certPEM, w.cert1.keyPEM),
			signer: "ca.key: more than one PEM block"},
		{name: "the serving key of another certificate", data: data(w.ca1.certPEM, w.ca1.keyPEM, w.cert1.certPEM, w.cert2.keyPEM),
			serving: "tls.crt and tls.key do not match"},
		{name: "a serving certificate as the CA", data: data(w.cert1.certPEM, w.cert1.keyPEM, w.cert1.certPEM, w.cert1.keyPEM),
			signer: "is not a CA certificate"},
		{name: "oversized ca.crt", data: data(oversized, w.ca1.keyPEM, w.cert1.certPEM, w.cert1.keyPEM),
			signer: "more than the 65536", bundle: "more than the 65536"},
		{name: "too many certificates", data: data(tooMany, w.ca1.keyPEM, w.cert1.certPEM, w.cert1.keyPEM),
			signer: "more than 16 certificates", bundle: "more than 16 certificates"},
		{name: "a certificate of another CA is read; the signature is decide's concern",
			data: data(w.ca1.certPEM, w.ca1.keyPEM, w.cert2.certPEM, w.cert2.keyPEM), serving: "not valid before"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := readSecret(tc.data, nil, t0.Add(time.Minute))
			check(t, "signer", s.signer != nil, s.signerProblem, tc.signer)
			check(t, "ca.crt", s.bundleProblem == "", s.bundleProblem, tc.bundle)
			check(t, "serving", s.serving != nil, s.servingProblem, tc.serving)
		})
	}
}

func check(t *testing.T, what string, usable bool, problem, want string) {
	t.Helper()
	switch {
	case want == "" && !usable:
		t.Errorf("%s not usable: %s", what, problem)
	case want != "" && usable:
		t.Errorf("%s usable, want the problem %q", what, want)
	case want != "" && !strings.Contains(problem, want):
		t.Errorf("%s problem %q lacks %q", what, problem, want)
	}
}

func data(caCert, caKey, cert, key []byte) map[string][]byte {
	return map[string][]byte{keyCACert: caCert, keyCAKey: caKey, keyCert: cert, keyKey: key}
}

func pemOf(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }

func mustPKCS8(t *testing.T, key any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func (p *servingPair) keyPEMKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := parseKey("tls.key", p.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestReadTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{formatTime(t0.Add(1500 * time.Millisecond)), t0.Add(1500 * time.Millisecond)},
		{"2030-01-01T12:00:00+01:00", t0.Add(-time.Hour)},
		{"", time.Time{}},
		{"yesterday", time.Time{}},
		{strings.Repeat("9", 100), time.Time{}},
	}
	for _, tc := range tests {
		if got := readTime(tc.in); !got.Equal(tc.want) {
			t.Errorf("readTime(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// FuzzReadSecret: whatever a Secret holds, reading it never panics, and what it calls
// usable is consistent. Seeds are the valid Secret and testdata/fuzz.
func FuzzReadSecret(f *testing.F) {
	ca, err := newAuthority("ns/svc", time.Hour, t0)
	if err != nil {
		f.Fatal(err)
	}
	pair, err := ca.issue(testOptions().names(), time.Hour, t0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ca.certPEM, ca.keyPEM, pair.certPEM, pair.keyPEM)
	f.Add([]byte("hello"), []byte{}, cat(pair.certPEM, ca.certPEM), []byte("-----BEGIN PRIVATE KEY-----\n\n-----END PRIVATE KEY-----\n"))
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.pem"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, b, b, b)
	}
	f.Fuzz(func(t *testing.T, caCert, caKey, cert, key []byte) {
		s := readSecret(data(caCert, caKey, cert, key), map[string]string{annCARotatedAt: string(caKey)}, t0.Add(time.Minute))
		if (s.signer == nil) == (s.signerProblem == "") {
			t.Errorf("signer %v with problem %q", s.signer != nil, s.signerProblem)
		}
		if (s.serving == nil) == (s.servingProblem == "") {
			t.Errorf("serving %v with problem %q", s.serving != nil, s.servingProblem)
		}
		if s.signer != nil && !s.signer.cert.IsCA {
			t.Error("a signer that is not a CA")
		}
		if s.serving != nil {
			if _, err := tls.X509KeyPair(cert, key); err != nil {
				t.Errorf("a usable serving pair that does not load: %v", err)
			}
		}
	})
}

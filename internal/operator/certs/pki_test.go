package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"net"
	"slices"
	"testing"
	"time"
)

// TestIssuedCertificates checks what a client verifying the webhook relies on: a CA
// that may sign leaves only, a serving certificate for serverAuth with the Service's
// names, both P-256, both valid from a little before now, the CA ten lifetimes.
func TestIssuedCertificates(t *testing.T) {
	opt := testOptions()
	opt.ExtraSANs = []string{"127.0.0.1", "webhook.example.com", "::1"}
	now := t0.Add(123456789 * time.Nanosecond) // not a whole second
	ca, err := newAuthority(opt.Service.String(), opt.Validity, now)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.issue(opt.names(), opt.Validity, now)
	if err != nil {
		t.Fatal(err)
	}
	leaf := pair.cert
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)

	tests := []struct {
		name string
		ok   bool
	}{
		{"the CA is a CA that signs leaves only", ca.cert.IsCA && ca.cert.BasicConstraintsValid && ca.cert.MaxPathLenZero &&
			ca.cert.KeyUsage&x509.KeyUsageCertSign != 0},
		{"the CA lives ten serving lifetimes", !ca.cert.NotAfter.Before(now.Add(10 * opt.Validity))},
		{"keys are ECDSA P-256", isP256(ca.cert) && isP256(leaf)},
		{"the serving certificate is not a CA", !leaf.IsCA && leaf.BasicConstraintsValid},
		{"the serving certificate is for serverAuth only", slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth})},
		{"the serving key signs, never enciphers", leaf.KeyUsage == x509.KeyUsageDigitalSignature},
		{"validity starts before now (clock skew)", leaf.NotBefore.Before(now) && ca.cert.NotBefore.Before(now)},
		{"validity is at least the lifetime asked for, in whole seconds",
			!leaf.NotAfter.Before(now.Add(opt.Validity)) && leaf.NotAfter.Sub(now) < opt.Validity+time.Second},
		{"the serving certificate names the Service and the extra names",
			slices.Equal(certNames(leaf).dns, opt.names().dns) && slices.Equal(certNames(leaf).ips, []string{"127.0.0.1", "::1"})},
		{"the subject is the Service's DNS name", leaf.Subject.CommonName == "moat-admission.moat-system.svc"},
		{"the pair loads as a TLS certificate", func() bool { _, err := tls.X509KeyPair(pair.certPEM, pair.keyPEM); return err == nil }()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Errorf("CA %q %s..%s usage %v; leaf %q %s..%s usage %v %v, names %v %v",
					ca.cert.Subject, ca.cert.NotBefore, ca.cert.NotAfter, ca.cert.KeyUsage,
					leaf.Subject, leaf.NotBefore, leaf.NotAfter, leaf.KeyUsage, leaf.ExtKeyUsage, leaf.DNSNames, leaf.IPAddresses)
			}
		})
	}
	for _, host := range []string{"moat-admission.moat-system.svc", "moat-admission.moat-system.svc.cluster.local", "moat-admission.moat-system", "moat-admission", "127.0.0.1", "::1", "webhook.example.com"} {
		t.Run("verifies for "+host, func(t *testing.T) {
			if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("does not verify for another host", func(t *testing.T) {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "evil.moat-system.svc", Roots: pool, CurrentTime: now}); err == nil {
			t.Error("verified")
		}
		if slices.ContainsFunc(leaf.IPAddresses, func(ip net.IP) bool { return ip.Equal(net.ParseIP("10.0.0.1")) }) {
			t.Error("an address not asked for")
		}
	})
}

func isP256(c *x509.Certificate) bool {
	k, ok := c.PublicKey.(*ecdsa.PublicKey)
	return ok && k.Curve == elliptic.P256()
}

// TestServingNeverOutlivesItsCA: a serving certificate issued late in a CA's life ends
// with the CA.
func TestServingNeverOutlivesItsCA(t *testing.T) {
	opt := testOptions()
	ca, err := newAuthority(opt.Service.String(), opt.Validity, t0)
	if err != nil {
		t.Fatal(err)
	}
	late := ca.cert.NotAfter.Add(-10 * time.Minute)
	pair, err := ca.issue(opt.names(), opt.Validity, late)
	if err != nil {
		t.Fatal(err)
	}
	if !pair.cert.NotAfter.Equal(ca.cert.NotAfter) {
		t.Errorf("serving certificate ends %s, its CA %s", pair.cert.NotAfter, ca.cert.NotAfter)
	}
}

func TestNotAfterRoundsUp(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		d    time.Duration
		want time.Time
	}{
		{"a whole second stays", t0, time.Second, t0.Add(time.Second)},
		{"a fraction rounds up", t0.Add(time.Millisecond), 2 * time.Second, t0.Add(3 * time.Second)},
		{"sub-second lifetimes round up too", t0, 400 * time.Millisecond, t0.Add(time.Second)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := notAfter(tc.now, tc.d); !got.Equal(tc.want) {
				t.Errorf("notAfter = %s, want %s", got, tc.want)
			}
		})
	}
}

package certs

import (
	"bytes"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// t0 is when the first CA of the tests was made, t2 when the second was.
var (
	t0 = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	t2 = t0.Add(9 * time.Hour)
)

func testOptions() Options {
	return Options{
		Secret:      types.NamespacedName{Namespace: "moat-system", Name: "moat-admission-tls"},
		Service:     types.NamespacedName{Namespace: "moat-system", Name: "moat-admission"},
		Webhooks:    []string{"moat-admission"},
		Validity:    time.Hour,
		RenewBefore: 20 * time.Minute,
		Grace:       2 * time.Minute,
	}.withDefaults()
}

// world is a set of certificates the cases build Secrets from: ca1 signs cert1 at t0,
// ca2 signs cert2 at t2.
type world struct {
	opt          Options
	ca1, ca2     *authority
	cert1, cert2 *servingPair
	late1        *servingPair // signed by ca1 shortly before t2, still valid then
	expired      *servingPair // cert1's names, signed by ca1, expired
	notCA        *servingPair
}

func newWorld(t *testing.T) world {
	t.Helper()
	opt := testOptions()
	w := world{opt: opt}
	var err error
	must := func(e error) {
		t.Helper()
		if e != nil {
			t.Fatal(e)
		}
	}
	w.ca1, err = newAuthority("moat-system/moat-admission", opt.Validity, t0)
	must(err)
	w.ca2, err = newAuthority("moat-system/moat-admission", opt.Validity, t2)
	must(err)
	w.cert1, err = w.ca1.issue(opt.names(), opt.Validity, t0)
	must(err)
	w.cert2, err = w.ca2.issue(opt.names(), opt.Validity, t2)
	must(err)
	w.late1, err = w.ca1.issue(opt.names(), opt.Validity, t2.Add(-30*time.Minute))
	must(err)
	w.expired, err = w.ca1.issue(opt.names(), time.Minute, t0)
	must(err)
	w.notCA, err = w.ca1.issue(opt.names(), opt.Validity, t0)
	must(err)
	return w
}

// secret is the data and annotations of a Secret.
type secret struct {
	caCert, caKey, cert, key []byte
	caRotated, certRotated   time.Time
}

func (w world) steady() secret {
	return secret{caCert: w.ca1.certPEM, caKey: w.ca1.keyPEM, cert: w.cert1.certPEM, key: w.cert1.keyPEM,
		caRotated: t0, certRotated: t0}
}

// observe is what Reconcile would read with this Secret and these caBundles (one
// configuration, one webhook per bundle).
func observe(s secret, now time.Time, bundles ...[]byte) observed {
	data := map[string][]byte{keyCert: s.cert, keyKey: s.key}
	if s.caCert != nil {
		data[keyCACert] = s.caCert
	}
	if s.caKey != nil {
		data[keyCAKey] = s.caKey
	}
	ann := map[string]string{}
	if !s.caRotated.IsZero() {
		ann[annCARotatedAt] = formatTime(s.caRotated)
	}
	if !s.certRotated.IsZero() {
		ann[annCertRotatedAt] = formatTime(s.certRotated)
	}
	vwc := webhookState{name: "moat-admission", found: true}
	for _, b := range bundles {
		vwc.bundles = append(vwc.bundles, b)
		if cas, err := parseCerts("caBundle", b); err == nil {
			vwc.cas = append(vwc.cas, cas...)
		}
	}
	return observed{secretFound: true, secretType: corev1.SecretTypeTLS, secretCACert: data[keyCACert],
		secretState: readSecret(data, ann, now), webhooks: []webhookState{vwc}}
}

// cat is PEM bundles one after the other.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestDecide(t *testing.T) {
	w := newWorld(t)
	ca1, ca2 := w.ca1.certPEM, w.ca2.certPEM
	// caDue is when ca1 can no longer sign a full serving lifetime renewed in time.
	caDue := w.ca1.cert.NotAfter.Add(-w.opt.Validity - w.opt.RenewBefore)
	// pending is the Secret right after ca2 was issued, cert1 still served.
	pending := secret{caCert: cat(ca2, ca1), caKey: w.ca2.keyPEM, cert: w.late1.certPEM, key: w.late1.keyPEM, certRotated: t0}
	// rotated is the Secret right after cert2 was written, ca1 still trusted.
	rotated := secret{caCert: cat(ca2, ca1), caKey: w.ca2.keyPEM, cert: w.cert2.certPEM, key: w.cert2.keyPEM, caRotated: t2, certRotated: t2}
	with := func(s secret, f func(*secret)) secret { f(&s); return s }

	tests := []struct {
		name       string
		obs        observed
		opt        func(*Options)
		now        time.Time
		want       action
		reason     string // a part of the plan's reason
		problem    bool
		next       time.Duration
		keep       int // CAs kept beside a new one
		wantErrSub string
	}{
		{name: "an empty Secret gets a CA first", obs: observe(secret{}, t0), now: t0,
			want: actIssueCA, reason: "holds no CA yet"},
		{name: "a missing Secret gets a CA first", obs: observed{secretState: readSecret(nil, nil, t0)}, now: t0,
			want: actIssueCA, reason: "holds no CA yet"},
		{name: "a Secret of another type is refused, not replaced",
			obs: func() observed { o := observe(w.steady(), t0); o.secretType = corev1.SecretTypeOpaque; return o }(), now: t0,
			wantErrSub: `is of type "Opaque"`},
		{name: "a new CA goes into a caBundle that lacks it", obs: observe(secret{caCert: ca1, caKey: w.ca1.keyPEM}, t0, nil), now: t0,
			want: actPublish, reason: "caBundle of moat-admission"},
		{name: "a published CA gets its time recorded", obs: observe(secret{caCert: ca1, caKey: w.ca1.keyPEM}, t0, ca1), now: t0,
			want: actStampCA, reason: annCARotatedAt},
		{name: "the first serving certificate is issued without waiting",
			obs: observe(secret{caCert: ca1, caKey: w.ca1.keyPEM, caRotated: t0}, t0, ca1), now: t0,
			want: actIssueCert, reason: "no serving certificate yet"},
		{name: "valid contents rotate nothing: a restart writes nothing", obs: observe(w.steady(), t0.Add(time.Minute), ca1),
			now: t0.Add(time.Minute), want: actWait, next: w.cert1.cert.NotAfter.Add(-20 * time.Minute).Sub(t0.Add(time.Minute))},
		{name: "a serving certificate near its end is renewed by the same CA", obs: observe(w.steady(), t0.Add(41*time.Minute), ca1),
			now: t0.Add(41 * time.Minute), want: actIssueCert, reason: "expires at"},
		{name: "a CA near its end gets a successor, trusted beside it",
			obs: observe(with(w.steady(), func(s *secret) { s.cert, s.key = nil, nil }), caDue, ca1),
			now: caDue, want: actIssueCA, reason: "the CA expires at", keep: 1},
		{name: "a certificate of the new CA waits until the API server has the new bundle",
			obs: observe(with(pending, func(s *secret) { s.caRotated = t2.Add(-30 * time.Second) }), t2, cat(ca2, ca1)),
			now: t2, want: actWait, next: 90 * time.Second},
		{name: "a certificate of the new CA is issued a grace period after the bundle",
			obs: observe(with(pending, func(s *secret) { s.caRotated = t2.Add(-2 * time.Minute) }), t2, cat(ca2, ca1)),
			now: t2, want: actIssueCert, reason: "not signed by the current CA"},
		{name: "the old CA stays while pods may serve the old certificate",
			obs: observe(rotated, t2.Add(time.Minute), cat(ca2, ca1)), now: t2.Add(time.Minute), want: actWait, next: time.Minute},
		{name: "the old CA is dropped a grace period after the new certificate",
			obs: observe(rotated, t2.Add(2*time.Minute), cat(ca2, ca1)), now: t2.Add(2 * time.Minute), want: actPrune},
		{name: "a dropped CA leaves the caBundle",
			obs: observe(with(rotated, func(s *secret) { s.caCert = ca2 }), t2.Add(2*time.Minute), cat(ca2, ca1)),
			now: t2.Add(2 * time.Minute), want: actPublish},
		{name: "garbage in tls.crt is replaced at once, naming the field",
			obs: observe(with(w.steady(), func(s *secret) { s.cert = []byte("hello") }), t0, ca1), now: t0,
			want: actIssueCert, reason: "tls.crt: no PEM certificate", problem: true},
		{name: "a key that is not the certificate's is replaced",
			obs: observe(with(w.steady(), func(s *secret) { s.key = w.cert2.keyPEM }), t0, ca1), now: t0,
			want: actIssueCert, reason: "do not match", problem: true},
		{name: "an expired serving certificate is replaced without waiting",
			obs: observe(with(w.steady(), func(s *secret) { s.cert, s.key = w.expired.certPEM, w.expired.keyPEM }), t0.Add(10*time.Minute), ca1),
			now: t0.Add(10 * time.Minute), want: actIssueCert, reason: "expired", problem: true},
		{name: "garbage in ca.key makes a new CA; the caBundle's CAs stay trusted",
			obs: observe(with(w.steady(), func(s *secret) { s.caKey = []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }), t0, ca1),
			now: t0, want: actIssueCA, reason: "ca.key", problem: true, keep: 1},
		{name: "a ca.crt without the key's certificate makes a new CA",
			obs: observe(with(w.steady(), func(s *secret) { s.caKey = w.ca2.keyPEM }), t0, ca1), now: t0,
			want: actIssueCA, reason: "no certificate for the key", problem: true, keep: 1},
		{name: "an oversized ca.crt makes a new CA, naming the size",
			obs: observe(with(w.steady(), func(s *secret) { s.caCert = make([]byte, maxFieldBytes+1) }), t0, ca1), now: t0,
			want: actIssueCA, reason: "more than the 65536", problem: true, keep: 1},
		{name: "a certificate that names other hosts is renewed",
			obs: observe(w.steady(), t0.Add(5*time.Minute), ca1), opt: func(o *Options) { o.ExtraSANs = []string{"127.0.0.1"} },
			now:  t0.Add(5 * time.Minute),
			want: actIssueCert, reason: "want [moat-admission"},
		{name: "a ca-rotated-at in the future is recorded again",
			obs: observe(with(w.steady(), func(s *secret) { s.caRotated = t0.Add(1000 * time.Hour) }), t0, ca1), now: t0,
			want: actStampCA},
		{name: "an unreadable cert-rotated-at is recorded again",
			obs: func() observed {
				o := observe(w.steady(), t0, ca1)
				o.certRotatedAt = readTime("yesterday")
				return o
			}(), now: t0, want: actStampCert},
		{name: "a webhook configuration that does not exist is skipped",
			obs: func() observed {
				o := observe(w.steady(), t0, ca1)
				o.webhooks = append(o.webhooks, webhookState{name: "gone"})
				return o
			}(), now: t0, want: actWait, next: 40 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := w.opt
			if tc.opt != nil {
				tc.opt(&opt)
			}
			p, err := decide(tc.obs, opt, tc.now)
			if tc.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) {
					t.Fatalf("error %v, want one with %q", err, tc.wantErrSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.act != tc.want {
				t.Fatalf("decided %q (%s), want %q", p.act, p.reason, tc.want)
			}
			if !strings.Contains(p.reason, tc.reason) {
				t.Errorf("reason %q lacks %q", p.reason, tc.reason)
			}
			if p.problem != tc.problem {
				t.Errorf("problem = %v, want %v (reason %q)", p.problem, tc.problem, p.reason)
			}
			if tc.want == actWait && p.next != tc.next {
				t.Errorf("next check in %s, want %s", p.next, tc.next)
			}
			if len(p.keep) != tc.keep {
				t.Errorf("keeps %d CAs beside the new one, want %d", len(p.keep), tc.keep)
			}
		})
	}
}

func TestGainsCA(t *testing.T) {
	w := newWorld(t)
	both := []*x509.Certificate{w.ca2.cert, w.ca1.cert}
	tests := []struct {
		name    string
		bundles [][]byte
		publish []*x509.Certificate
		want    bool
	}{
		{"an empty caBundle gains", [][]byte{nil}, both, true},
		{"a caBundle without the new CA gains", [][]byte{w.ca1.certPEM}, both, true},
		{"one of two webhooks without the new CA gains", [][]byte{cat(w.ca2.certPEM, w.ca1.certPEM), w.ca1.certPEM}, both, true},
		{"an unreadable caBundle gains", [][]byte{[]byte("junk")}, both[:1], true},
		{"dropping a CA gains nothing", [][]byte{cat(w.ca2.certPEM, w.ca1.certPEM)}, both[:1], false},
		{"the same CAs in another order gain nothing", [][]byte{cat(w.ca1.certPEM, w.ca2.certPEM)}, both, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := observe(secret{}, t0, tc.bundles...)
			if got := gainsCA(o, tc.publish); got != tc.want {
				t.Errorf("gainsCA = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTrustedCAs(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name    string
		caCert  []byte
		bundles [][]byte
		now     time.Time
		want    []*x509.Certificate
	}{
		{"ca.crt and the caBundles, each once", cat(w.ca1.certPEM), [][]byte{cat(w.ca2.certPEM, w.ca1.certPEM)}, t2,
			[]*x509.Certificate{w.ca1.cert, w.ca2.cert}},
		{"a serving certificate in a bundle is no CA", cat(w.ca1.certPEM, w.notCA.certPEM), nil, t0,
			[]*x509.Certificate{w.ca1.cert}},
		{"an expired CA is not trusted", nil, [][]byte{cat(w.ca1.certPEM, w.ca2.certPEM)}, w.ca1.cert.NotAfter,
			[]*x509.Certificate{w.ca2.cert}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := trustedCAs(observe(secret{caCert: tc.caCert}, tc.now, tc.bundles...), tc.now)
			if len(got) != len(tc.want) {
				t.Fatalf("%d CAs, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if !got[i].Equal(tc.want[i]) {
					t.Errorf("CA %d is %q, want %q", i, got[i].Subject.CommonName, tc.want[i].Subject.CommonName)
				}
			}
		})
	}
}

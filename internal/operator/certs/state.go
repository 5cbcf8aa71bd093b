package certs

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// observed is what one step of Reconcile reads: the Secret and the webhook
// configurations.
type observed struct {
	secretFound  bool
	secretType   corev1.SecretType
	secretCACert []byte // ca.crt as stored: what every caBundle must equal
	secretState
	webhooks []webhookState
}

// webhookState is one ValidatingWebhookConfiguration.
type webhookState struct {
	name     string
	found    bool
	bundles  [][]byte            // each webhook's clientConfig.caBundle
	cas      []*x509.Certificate // the certificates those bundles hold, when they parse
	problems []string            // bundles that do not parse
}

// action is one write of the rotation, in the order decide considers them.
type action int

const (
	actWait      action = iota // nothing to write: look again after plan.next
	actIssueCA                 // a new CA, written to the Secret beside the CAs still trusted
	actPublish                 // the Secret's ca.crt written into every caBundle
	actStampCA                 // ca-rotated-at recorded (it was missing)
	actIssueCert               // a new serving certificate from the signing CA
	actStampCert               // cert-rotated-at recorded (it was missing)
	actPrune                   // ca.crt reduced to the signing CA
)

var actionNames = [...]string{"wait", "issue CA", "publish caBundle", "record ca-rotated-at", "issue serving certificate", "record cert-rotated-at", "drop old CAs"}

func (a action) String() string { return actionNames[a] }

// plan is what decide chose.
type plan struct {
	act     action
	reason  string
	problem bool                // the reason is broken or foreign contents, not a due date
	keep    []*x509.Certificate // actIssueCA: the CAs trusted beside the new one
	next    time.Duration       // actWait: when to look again
}

// decide is the rotation as a pure function of what is observed: the first write that
// is due, or how long to wait. It is called again after each write, on a fresh read.
func decide(o observed, opt Options, now time.Time) (plan, error) {
	if o.secretFound && o.secretType != corev1.SecretTypeTLS {
		return plan{}, fmt.Errorf("Secret %s is of type %q, want %q; its type cannot change: delete it and the operator creates it",
			opt.Secret, o.secretType, corev1.SecretTypeTLS)
	}
	if p, ok := decideCA(o, opt, now); ok {
		return p, nil
	}
	if name, ok := stalePublished(o); ok {
		return plan{act: actPublish, reason: "the caBundle of " + name + " is not the Secret's ca.crt"}, nil
	}
	if !usableTime(o.caRotatedAt, now) {
		return plan{act: actStampCA, reason: annCARotatedAt + " is missing, unreadable or in the future"}, nil
	}
	if p, ok := decideServing(o, opt, now); ok {
		return p, nil
	}
	if !usableTime(o.certRotatedAt, now) {
		return plan{act: actStampCert, reason: annCertRotatedAt + " is missing, unreadable or in the future"}, nil
	}
	if !onlySigner(o) {
		if at := o.certRotatedAt.Add(opt.Grace); now.Before(at) {
			return plan{act: actWait, reason: "old CAs stay until every pod serves the new certificate", next: at.Sub(now)}, nil
		}
		return plan{act: actPrune, reason: "no pod serves a certificate of the old CAs any more"}, nil
	}
	renew := o.serving.cert.NotAfter.Add(-opt.RenewBefore)
	if caDue := caRenewal(o.signer, opt); caDue.Before(renew) {
		renew = caDue
	}
	return plan{act: actWait, reason: "nothing is due", next: max(renew.Sub(now), 0)}, nil
}

// decideCA issues a CA when there is no usable one or the one there cannot sign a
// serving certificate for a full lifetime with time to renew it.
func decideCA(o observed, opt Options, now time.Time) (plan, bool) {
	p := plan{act: actIssueCA, keep: trustedCAs(o, now)}
	switch {
	case o.signer == nil && o.bundleProblem == keyCACert+": missing":
		p.reason = "the Secret holds no CA yet"
	case o.signer == nil:
		p.reason, p.problem = o.signerProblem, true
	case now.Before(caRenewal(o.signer, opt)):
		return plan{}, false
	default:
		p.reason = "the CA expires at " + o.signer.cert.NotAfter.UTC().Format(time.RFC3339)
	}
	return p, true
}

// caRenewal is when a CA is renewed: while it can still sign a serving certificate
// that lives a full Validity and is renewed RenewBefore its end.
func caRenewal(a *authority, opt Options) time.Time {
	return a.cert.NotAfter.Add(-opt.Validity - opt.RenewBefore)
}

// decideServing issues a serving certificate when there is no usable one, or when it
// is due and the CA that signs the new one has reached the API server.
func decideServing(o observed, opt Options, now time.Time) (plan, bool) {
	if o.serving == nil {
		p := plan{act: actIssueCert, reason: "the Secret holds no serving certificate yet"}
		if o.servingProblem != keyCert+": missing" {
			// Nothing valid is in the Secret; waiting protects nothing.
			p.reason, p.problem = o.servingProblem, true
		}
		return p, true
	}
	reason := servingDue(o, opt, now)
	if reason == "" {
		return plan{}, false
	}
	if at := o.caRotatedAt.Add(opt.Grace); now.Before(at) {
		return plan{act: actWait, reason: reason + "; waiting until the API server has the new caBundle", next: at.Sub(now)}, true
	}
	return plan{act: actIssueCert, reason: reason}, true
}

// servingDue says why a usable serving certificate must be replaced, or "".
func servingDue(o observed, opt Options, now time.Time) string {
	c := o.serving.cert
	if err := c.CheckSignatureFrom(o.signer.cert); err != nil {
		return "the serving certificate is not signed by the current CA"
	}
	if want, got := opt.names(), certNames(c); !slices.Equal(want.dns, got.dns) || !slices.Equal(want.ips, got.ips) {
		return fmt.Sprintf("the serving certificate names %s, want %s", got, want)
	}
	if !now.Before(c.NotAfter.Add(-opt.RenewBefore)) {
		return "the serving certificate expires at " + c.NotAfter.UTC().Format(time.RFC3339)
	}
	return ""
}

// certNames is a certificate's subject alternative names, as Options.names has them.
func certNames(c *x509.Certificate) names {
	var n names
	for _, d := range c.DNSNames {
		n.dns = append(n.dns, strings.ToLower(d))
	}
	for _, ip := range c.IPAddresses {
		n.ips = append(n.ips, ip.String())
	}
	slices.Sort(n.dns)
	slices.Sort(n.ips)
	return n
}

func (n names) String() string {
	return "[" + strings.Join(append(slices.Clone(n.dns), n.ips...), " ") + "]"
}

// stalePublished names a webhook configuration whose caBundles are not ca.crt.
func stalePublished(o observed) (string, bool) {
	for _, w := range o.webhooks {
		if !w.found {
			continue
		}
		for _, b := range w.bundles {
			if !bytes.Equal(b, o.secretCACert) {
				return w.name, true
			}
		}
	}
	return "", false
}

// onlySigner tells whether ca.crt is the signing CA alone.
func onlySigner(o observed) bool {
	return len(o.bundle) == 1 && o.bundle[0].Equal(o.signer.cert)
}

// usableTime tells whether an annotation's time can be waited from: known and not
// after now (a time in the future would put off a step indefinitely).
func usableTime(t, now time.Time) bool {
	return !t.IsZero() && !t.After(now)
}

// trustedCAs are the CAs trusted now, from ca.crt and every caBundle: they stay in
// the bundles beside a new CA, since a pod may still serve a certificate they signed.
// Certificates that are not CAs or have expired are left out, and at most
// maxBundleCerts-1 are kept, ca.crt's first.
func trustedCAs(o observed, now time.Time) []*x509.Certificate {
	var out []*x509.Certificate
	add := func(cs []*x509.Certificate) {
		for _, c := range cs {
			if c.IsCA && now.Before(c.NotAfter) && len(out) < maxBundleCerts-1 &&
				!slices.ContainsFunc(out, c.Equal) {
				out = append(out, c)
			}
		}
	}
	add(o.bundle)
	for _, w := range o.webhooks {
		add(w.cas)
	}
	return out
}

// gainsCA tells whether publishing bundle adds a CA to some caBundle of the
// configurations: the API server must then be given time to load it.
func gainsCA(o observed, bundle []*x509.Certificate) bool {
	for _, w := range o.webhooks {
		if !w.found {
			continue
		}
		for _, raw := range w.bundles {
			have, err := parseCerts("caBundle", raw)
			if err != nil {
				return true
			}
			for _, c := range bundle {
				if !slices.ContainsFunc(have, c.Equal) {
					return true
				}
			}
		}
	}
	return false
}

package certs

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

const (
	// maxSteps bounds the writes of one Reconcile: a first issuance takes four (CA,
	// caBundles, ca-rotated-at, serving certificate); more means a bug or a fight
	// with another writer, and the next Reconcile tries again.
	maxSteps = 12
	// maxConflicts bounds the writes refused because the object changed since it
	// was read; each is retried on a fresh read.
	maxConflicts = 5
)

// conflictBackoff retries an update of a webhook configuration or an annotation.
var conflictBackoff = wait.Backoff{Steps: maxConflicts, Duration: 10 * time.Millisecond, Factor: 2, Jitter: 0.2}

// Rotator keeps the Secret and the caBundles. Its methods are safe for concurrent use,
// though one Run is all an operator needs.
type Rotator struct {
	cs  kubernetes.Interface
	opt Options
	log *slog.Logger

	mu sync.Mutex // one Reconcile at a time
}

// New returns a Rotator for these options; Reconcile and Run report options that are
// not valid (see Options.Validate).
func New(cs kubernetes.Interface, opt Options) *Rotator {
	opt = opt.withDefaults()
	return &Rotator{cs: cs, opt: opt, log: opt.Logger.With("secret", opt.Secret.String())}
}

// Reconcile issues or renews what is due and makes every caBundle trust it; it returns when
// the next check is due. Rotation never breaks admission: a new CA is added to the caBundle
// (old and new trusted) before the serving certificate signed by it is written to the Secret,
// and the old CA is removed only after the new certificate has been served (the kubelet
// refreshes mounted Secrets within about a minute: wait a configurable grace, default 2m).
//
// A webhook configuration that does not exist is skipped and reported in the error,
// after everything else is done.
func (r *Rotator) Reconcile(ctx context.Context) (next time.Duration, err error) {
	if err := r.opt.Validate(); err != nil {
		return 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	conflicts := 0
	for range maxSteps {
		now := r.opt.Now()
		o, secret, err := r.observe(ctx, now)
		if err != nil {
			return 0, err
		}
		p, err := decide(o, r.opt, now)
		if err != nil {
			return 0, err
		}
		if p.act == actWait {
			r.log.Debug("certificates checked", "next", p.next, "state", p.reason)
			return p.next, missingWebhooks(o)
		}
		err = r.execute(ctx, p, o, secret, now)
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			if conflicts++; conflicts <= maxConflicts {
				continue
			}
		}
		if err != nil {
			return 0, fmt.Errorf("%s: %w", p.act, err)
		}
	}
	return 0, fmt.Errorf("certificates not settled after %d writes; trying again later", maxSteps)
}

// observe reads the Secret (nil when absent) and the webhook configurations.
func (r *Rotator) observe(ctx context.Context, now time.Time) (observed, *corev1.Secret, error) {
	var o observed
	secret, err := r.cs.CoreV1().Secrets(r.opt.Secret.Namespace).Get(ctx, r.opt.Secret.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		secret = nil
		o.secretState = readSecret(nil, nil, now)
	case err != nil:
		return o, nil, fmt.Errorf("read Secret %s: %w", r.opt.Secret, err)
	default:
		o.secretFound, o.secretType, o.secretCACert = true, secret.Type, secret.Data[keyCACert]
		o.secretState = readSecret(secret.Data, secret.Annotations, now)
	}
	for _, name := range r.opt.Webhooks {
		vwc, err := r.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			o.webhooks = append(o.webhooks, webhookState{name: name})
		case err != nil:
			return o, nil, fmt.Errorf("read ValidatingWebhookConfiguration %s: %w", name, err)
		default:
			o.webhooks = append(o.webhooks, readWebhooks(vwc))
		}
	}
	return o, secret, nil
}

// readWebhooks reads the caBundles of a configuration.
func readWebhooks(vwc *admissionregistrationv1.ValidatingWebhookConfiguration) webhookState {
	w := webhookState{name: vwc.Name, found: true}
	for _, h := range vwc.Webhooks {
		w.bundles = append(w.bundles, h.ClientConfig.CABundle)
		if len(h.ClientConfig.CABundle) == 0 {
			continue
		}
		cas, err := parseCerts("caBundle of webhook "+h.Name, h.ClientConfig.CABundle)
		if err != nil {
			w.problems = append(w.problems, err.Error())
			continue
		}
		w.cas = append(w.cas, cas...)
	}
	return w
}

func missingWebhooks(o observed) error {
	var errs []error
	for _, w := range o.webhooks {
		if !w.found {
			errs = append(errs, fmt.Errorf("ValidatingWebhookConfiguration %s not found: its caBundle is written once it exists", w.name))
		}
	}
	return errors.Join(errs...)
}

// execute performs one write of the plan.
func (r *Rotator) execute(ctx context.Context, p plan, o observed, secret *corev1.Secret, now time.Time) error {
	level := slog.LevelInfo
	if p.problem {
		level = slog.LevelWarn
	}
	switch p.act {
	case actIssueCA:
		ca, err := newAuthority(r.opt.Service.String(), r.opt.Validity, now)
		if err != nil {
			return err
		}
		bundle := bundlePEM(append([]*x509.Certificate{ca.cert}, p.keep...))
		err = r.writeSecret(ctx, secret, func(s *corev1.Secret) {
			s.Data[keyCACert], s.Data[keyCAKey] = bundle, ca.keyPEM
			// The new CA is not in the caBundles yet: nothing may wait from it.
			delete(s.Annotations, annCARotatedAt)
		})
		if err == nil {
			r.log.Log(ctx, level, "issued a new CA", "reason", p.reason, "expires", ca.cert.NotAfter, "trusted-beside-it", len(p.keep))
		}
		return err
	case actPublish:
		if err := r.publish(ctx, o); err != nil {
			return err
		}
		if gainsCA(o, o.bundle) {
			return r.stampCARotated(ctx, now)
		}
		return nil
	case actStampCA:
		return r.writeSecret(ctx, secret, func(s *corev1.Secret) { s.Annotations[annCARotatedAt] = formatTime(now) })
	case actIssueCert:
		pair, err := o.signer.issue(r.opt.names(), r.opt.Validity, now)
		if err != nil {
			return err
		}
		err = r.writeSecret(ctx, secret, func(s *corev1.Secret) {
			s.Data[keyCert], s.Data[keyKey] = pair.certPEM, pair.keyPEM
			s.Annotations[annCertRotatedAt] = formatTime(now)
		})
		if err == nil {
			r.log.Log(ctx, level, "issued a serving certificate", "reason", p.reason, "names", certNames(pair.cert).String(), "expires", pair.cert.NotAfter)
		}
		return err
	case actStampCert:
		return r.writeSecret(ctx, secret, func(s *corev1.Secret) { s.Annotations[annCertRotatedAt] = formatTime(now) })
	case actPrune:
		err := r.writeSecret(ctx, secret, func(s *corev1.Secret) { s.Data[keyCACert] = o.signer.certPEM })
		if err == nil {
			r.log.Info("dropped CAs that sign no certificate in use", "dropped", len(o.bundle)-1)
		}
		return err
	}
	return fmt.Errorf("unknown action %d", p.act)
}

// writeSecret applies mutate to the Secret as read and writes it when it changed: an
// update conditional on the version read, or a create when there was none. A conflict
// is returned to Reconcile, which decides again on a fresh read.
func (r *Rotator) writeSecret(ctx context.Context, read *corev1.Secret, mutate func(*corev1.Secret)) error {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: r.opt.Secret.Name, Namespace: r.opt.Secret.Namespace,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "moat", "app.kubernetes.io/name": "moat"},
		},
		Type: corev1.SecretTypeTLS,
		// A kubernetes.io/tls Secret must have both keys, empty or not.
		Data: map[string][]byte{keyCert: {}, keyKey: {}},
	}
	if read != nil {
		s = read.DeepCopy()
	}
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	mutate(s)
	secrets := r.cs.CoreV1().Secrets(r.opt.Secret.Namespace)
	if read == nil {
		_, err := secrets.Create(ctx, s, metav1.CreateOptions{})
		return err
	}
	if maps.EqualFunc(s.Data, read.Data, bytesEqual) && maps.Equal(s.Annotations, read.Annotations) {
		return nil
	}
	_, err := secrets.Update(ctx, s, metav1.UpdateOptions{})
	return err
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// stampCARotated records that the caBundles gained a CA. It changes only an
// annotation, on a fresh read, so it is retried on conflict here.
func (r *Rotator) stampCARotated(ctx context.Context, now time.Time) error {
	return retry.RetryOnConflict(conflictBackoff, func() error {
		s, err := r.cs.CoreV1().Secrets(r.opt.Secret.Namespace).Get(ctx, r.opt.Secret.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		return r.writeSecret(ctx, s, func(s *corev1.Secret) { s.Annotations[annCARotatedAt] = formatTime(now) })
	})
}

// publish writes the Secret's ca.crt into every caBundle of every named configuration
// that exists, each retried on conflict on a fresh read.
func (r *Rotator) publish(ctx context.Context, o observed) error {
	vwcs := r.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	for _, w := range o.webhooks {
		if !w.found {
			continue
		}
		for _, p := range w.problems {
			r.log.Warn("replacing a caBundle that does not parse", "webhook-configuration", w.name, "reason", p)
		}
		changed := false
		err := retry.RetryOnConflict(conflictBackoff, func() error {
			vwc, err := vwcs.Get(ctx, w.name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			changed = false
			for i := range vwc.Webhooks {
				if string(vwc.Webhooks[i].ClientConfig.CABundle) != string(o.secretCACert) {
					vwc.Webhooks[i].ClientConfig.CABundle = o.secretCACert
					changed = true
				}
			}
			if !changed {
				return nil
			}
			_, err = vwcs.Update(ctx, vwc, metav1.UpdateOptions{})
			return err
		})
		if apierrors.IsNotFound(err) {
			continue // deleted since it was read; missingWebhooks reports it next time
		}
		if err != nil {
			return fmt.Errorf("ValidatingWebhookConfiguration %s: %w", w.name, err)
		}
		if changed {
			r.log.Info("wrote caBundle", "webhook-configuration", w.name, "cas", len(o.bundle))
		}
	}
	return nil
}

package sign

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// DefaultTimeout bounds one Verify when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// DefaultMaxSignatures bounds how many signatures (and referrer manifests) one Verify
// reads when Options.MaxSignatures is zero.
const DefaultMaxSignatures = 32

// Options say how a Verifier reaches registries and where the policy's files are.
type Options struct {
	// Remote are go-containerregistry options: authentication, transport, insecure
	// registries, retries. A context given here is replaced by Verify's.
	Remote []remote.Option
	// Timeout bounds one Verify (every registry request it makes); zero is DefaultTimeout.
	Timeout time.Duration
	// BaseDir is where relative key and trusted root paths are read from: the config
	// file's directory. Empty is the working directory.
	BaseDir string
	// TrustedRoot is the trusted_root.json of rules that name none (--trusted-root).
	TrustedRoot string
	// MaxSignatures bounds the signatures read per image, and the referrer manifests
	// read to find them; zero is DefaultMaxSignatures.
	MaxSignatures int
}

// Result is the answer for one image digest.
type Result struct {
	Verified bool `json:"verified"`
	// By is who signed, when verified: "key sha256:<fingerprint> (file)" or
	// `issuer "…" subject "…"`.
	By string `json:"by,omitempty"`
	// Source is where the signature that passed was found ("referrer sha256:… layer 0",
	// "tag sha256-….sig layer 0").
	Source string `json:"source,omitempty"`
	// Reason says why not, when not verified: "no signature found", or each signature
	// found and why it failed, or the registry error.
	Reason string `json:"reason,omitempty"`
	// Digest is the image digest that was verified ("sha256:…").
	Digest string `json:"digest"`
	// Err is set when the signatures could not be looked up (registry error, timeout) and
	// none passed: the answer is "unknown", not "unsigned". Admission applies its failure
	// mode to it.
	Err error `json:"-"`
}

// Verifier verifies image signatures against a policy. It holds the policy's keys and
// trusted roots, loaded once; it is safe for concurrent use.
type Verifier struct {
	opt   Options
	rules map[*Rule]*ruleMaterial
}

// NewVerifier loads the keys and trusted roots of every rule of p. Errors name the rule
// and the file.
func NewVerifier(p *Policy, opt Options) (*Verifier, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.MaxSignatures <= 0 {
		opt.MaxSignatures = DefaultMaxSignatures
	}
	v := &Verifier{opt: opt, rules: map[*Rule]*ruleMaterial{}}
	l := loader{baseDir: opt.BaseDir, defaultRoot: opt.TrustedRoot}
	if p == nil {
		return v, nil
	}
	var errs []error
	for i := range p.Rules {
		m, err := l.rule(&p.Rules[i], fmt.Sprintf("rules[%d]", i))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		v.rules[&p.Rules[i]] = m
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return v, nil
}

// Verify finds the signatures of the image digest in repo and verifies each against the
// rule (normally Policy.RuleFor of the image); the image is verified when one passes.
//
// digest is the manifest digest the image reference resolves to. For a multi-arch image
// that is the index's digest, which is what cosign signs when given a tag; a signature
// of one platform's manifest is found only by verifying that manifest's digest.
func (v *Verifier) Verify(ctx context.Context, repo name.Repository, digest v1.Hash, rule *Rule) Result {
	res, m := v.start(digest, rule)
	if m == nil {
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, v.opt.Timeout)
	defer cancel()

	f := &finder{
		repo:       repo,
		digest:     digest,
		opts:       append(slices.Clip(v.opt.Remote), remote.WithContext(ctx)),
		manifests:  v.opt.MaxSignatures,
		signatures: v.opt.MaxSignatures,
		accepts:    m.acceptsPredicate,
	}
	f.find(ctx)

	var failures []string
	for _, sig := range f.found {
		by, err := m.verify(sig, digest)
		if err == nil {
			res.Verified, res.By, res.Source = true, by, sig.source
			return res
		}
		failures = append(failures, sig.source+": "+err.Error())
	}
	failures = append(failures, f.broken...)
	if ctx.Err() != nil {
		f.errs = append(f.errs, fmt.Errorf("gave up after %s: %w", v.opt.Timeout, ctx.Err()))
	}
	res.Reason, res.Err = reason(failures, f.errs)
	return res
}

// VerifyBundle verifies one Sigstore bundle (JSON, as a file holds it) against the
// digest and the rule, offline: `moat image verify --bundle`.
func (v *Verifier) VerifyBundle(data []byte, digest v1.Hash, rule *Rule) Result {
	res, m := v.start(digest, rule)
	if m == nil {
		return res
	}
	if int64(len(data)) > maxBundleBytes {
		res.Reason = fmt.Sprintf("bundle of %d bytes is over the %d-byte limit", len(data), maxBundleBytes)
		return res
	}
	b, err := ParseBundle(data)
	if err != nil {
		res.Reason = err.Error()
		return res
	}
	by, err := m.verify(foundSignature{source: "bundle", bundle: b}, digest)
	if err != nil {
		res.Reason = err.Error()
		return res
	}
	res.Verified, res.By, res.Source = true, by, "bundle"
	return res
}

// start is the result before any signature is read, and the rule's material; nil
// material when there is nothing to verify with (the result says why).
func (v *Verifier) start(digest v1.Hash, rule *Rule) (Result, *ruleMaterial) {
	res := Result{Digest: digest.String()}
	if rule == nil {
		res.Reason = "no signature rule was given for this image"
		return res, nil
	}
	m, err := v.material(rule)
	if err != nil {
		res.Reason, res.Err = err.Error(), err
		return res, nil
	}
	return res, m
}

// material is the loaded form of a rule of the policy; a rule from elsewhere (built by
// the caller) is loaded now.
func (v *Verifier) material(rule *Rule) (*ruleMaterial, error) {
	if m, ok := v.rules[rule]; ok {
		return m, nil
	}
	l := loader{baseDir: v.opt.BaseDir, defaultRoot: v.opt.TrustedRoot}
	return l.rule(rule, "rule")
}

// reason says why an image is not verified: what failed, then what could not be read.
func reason(failures []string, errs []error) (string, error) {
	var parts []string
	if len(failures) > 0 {
		parts = append(parts, "no valid signature: "+strings.Join(failures, "; "))
	}
	var lookupErr error
	if len(errs) > 0 {
		lookupErr = errors.Join(errs...)
		msgs := make([]string, len(errs))
		for i, err := range errs {
			msgs[i] = err.Error()
		}
		parts = append(parts, "could not look up signatures: "+strings.Join(msgs, "; "))
	}
	if len(parts) == 0 {
		return "no signature found", nil
	}
	return strings.Join(parts, "; "), lookupErr
}

// Package imagesig is the admission webhook's signature check: the images of a pod or
// pod controller under review that the config file's signing policy (images.signatures)
// names are resolved to digests and verified with package sign, and an image without a
// signature the policy accepts is a finding of image/signature-missing.
//
// The check reaches registries from the request path, so it is bounded in time (a
// deadline of its own within the review's), remembers its answers by digest and rule
// (verified ones for CacheTTL, unsigned ones for FailureTTL, lookup errors not at all),
// and applies a failure policy when a registry cannot be read: refuse the request
// (the default) or admit it with a warning.
package imagesig

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/moat-dev/moat/internal/admission"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/image"
	"github.com/moat-dev/moat/internal/image/registry"
	"github.com/moat-dev/moat/internal/image/sign"
)

// Defaults of Options.
const (
	DefaultFailureTTL = 30 * time.Second
	// DefaultMaxEntries bounds the cache: a cluster runs a few thousand distinct images.
	DefaultMaxEntries = 10000
	// DefaultConcurrency is how many images of one request are checked at once.
	DefaultConcurrency = 4
)

// Options configure a Checker.
type Options struct {
	Policy   *sign.Policy
	Verifier *sign.Verifier
	// Registry resolves tags to digests; a reference by digest needs no resolution.
	Registry *registry.Client
	// Insecure lets signatures be read from registries over plain HTTP.
	Insecure bool
	// AllowOnError admits an image whose signatures could not be read, with a warning;
	// by default the request is refused.
	AllowOnError bool
	// Timeout bounds one request's check; admission.DefaultSignatureTimeout when 0.
	Timeout time.Duration
	// CacheTTL is how long a verified digest stays verified
	// (admission.DefaultSignatureCacheTTL when 0); FailureTTL how long an unsigned one
	// stays unsigned, short so that an image signed after a refusal is admitted soon.
	CacheTTL, FailureTTL time.Duration
	MaxEntries           int
	Concurrency          int
	Now                  func() time.Time
}

// Checker implements admission.SignatureChecker. It is safe for concurrent use.
type Checker struct {
	opt   Options
	mu    sync.Mutex
	cache map[cacheKey]cached
}

type cacheKey struct {
	digest string
	rule   *sign.Rule
}

type cached struct {
	res     sign.Result
	expires time.Time
}

// New returns a Checker with opt's zero fields set to their defaults.
func New(opt Options) (*Checker, error) {
	if opt.Policy == nil || opt.Verifier == nil || opt.Registry == nil {
		return nil, errors.New("imagesig: a policy, a verifier and a registry client are required")
	}
	if opt.Timeout <= 0 {
		opt.Timeout = admission.DefaultSignatureTimeout
	}
	if opt.CacheTTL <= 0 {
		opt.CacheTTL = admission.DefaultSignatureCacheTTL
	}
	if opt.FailureTTL <= 0 {
		opt.FailureTTL = min(DefaultFailureTTL, opt.CacheTTL)
	}
	if opt.MaxEntries <= 0 {
		opt.MaxEntries = DefaultMaxEntries
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = DefaultConcurrency
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Checker{opt: opt, cache: map[cacheKey]cached{}}, nil
}

// outcome is the answer for one image reference.
type outcome struct {
	digest string
	res    sign.Result
	// err: the signatures could not be read (registry down, deadline); the failure
	// policy decides.
	err error
}

// CheckSignatures checks the images the policy names, each distinct reference once.
func (c *Checker) CheckSignatures(ctx context.Context, object finding.Resource, images []admission.ContainerImage) admission.SignatureReport {
	ctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	rules := map[string]*sign.Rule{}
	var refs []string
	for _, im := range images {
		if _, seen := rules[im.Image]; seen {
			continue
		}
		rules[im.Image] = c.opt.Policy.RuleFor(im.Image)
		if rules[im.Image] != nil {
			refs = append(refs, im.Image)
		}
	}
	outcomes := make([]outcome, len(refs))
	parallel(len(refs), c.opt.Concurrency, func(i int) {
		outcomes[i] = c.check(ctx, refs[i], rules[refs[i]])
	})
	byRef := make(map[string]*outcome, len(refs))
	for i := range refs {
		byRef[refs[i]] = &outcomes[i]
	}
	var rep admission.SignatureReport
	var errs []error
	done := map[string]bool{}
	for _, im := range images {
		o := byRef[im.Image]
		switch {
		case o == nil:
		case o.err != nil:
			if done[im.Image] {
				continue // one error or warning per image, however many containers run it
			}
			done[im.Image] = true
			if c.opt.AllowOnError {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("moat: the signatures of image %s could not be checked (%v); admitted because admission.imageSignatures.failurePolicy is Allow", im.Image, o.err))
			} else {
				errs = append(errs, fmt.Errorf("the signatures of image %s could not be checked (admission.imageSignatures.failurePolicy is Deny): %w", im.Image, o.err))
			}
		case !o.res.Verified:
			rep.Findings = append(rep.Findings, missing(object, im, o))
		}
	}
	rep.Err = errors.Join(errs...)
	return rep
}

// missing is the finding of an image with no signature the policy accepts, worded as
// the image scan words it.
func missing(object finding.Resource, im admission.ContainerImage, o *outcome) finding.Finding {
	m := image.SignatureMissingRule
	msg := fmt.Sprintf("no signature of %s verifies under the signing policy: %s; image %s", o.digest, o.res.Reason, im.Image)
	return finding.Finding{
		RuleID: m.ID, Severity: m.Severity, Title: m.Title, Message: msg,
		Resource: object, Path: im.Path, Frameworks: m.Frameworks, Remediation: m.Remediation,
	}
}

// check resolves one reference and verifies its digest, from the cache when it can.
func (c *Checker) check(ctx context.Context, ref string, rule *sign.Rule) outcome {
	src, err := registry.ParseSource(ref)
	if err == nil && src.Kind != registry.KindRegistry {
		err = fmt.Errorf("image %q is not a registry reference", ref)
	}
	if err != nil {
		// Nothing can be signed for a reference that names no registry image.
		return outcome{digest: ref, res: sign.Result{Reason: err.Error()}}
	}
	var nopt []name.Option
	if c.opt.Insecure {
		nopt = append(nopt, name.Insecure)
	}
	parsed, err := name.ParseReference(src.Ref, nopt...)
	if err != nil {
		return outcome{digest: ref, res: sign.Result{Reason: err.Error()}}
	}
	digest := src.Digest
	if digest == "" {
		r, err := c.opt.Registry.Resolve(ctx, src)
		if err != nil {
			return outcome{digest: ref, err: err}
		}
		// cosign signs what the tag names: the index of a multi-platform image.
		digest = r.Digest
		if r.IndexDigest != "" {
			digest = r.IndexDigest
		}
	}
	key := cacheKey{digest: digest, rule: rule}
	if res, ok := c.lookup(key); ok {
		return outcome{digest: digest, res: res}
	}
	h, err := v1.NewHash(digest)
	if err != nil {
		return outcome{digest: digest, res: sign.Result{Reason: err.Error()}}
	}
	res := c.opt.Verifier.Verify(ctx, parsed.Context(), h, rule)
	if res.Err != nil && !res.Verified {
		return outcome{digest: digest, err: errors.New(res.Reason)}
	}
	c.store(key, res)
	return outcome{digest: digest, res: res}
}

func (c *Checker) lookup(k cacheKey) (sign.Result, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cache[k]
	if !ok {
		return sign.Result{}, false
	}
	if !c.opt.Now().Before(e.expires) {
		delete(c.cache, k)
		return sign.Result{}, false
	}
	return e.res, true
}

// store remembers a verified result for CacheTTL and an unsigned one for FailureTTL.
// A full cache first drops what has expired, then an arbitrary entry: a miss costs a
// registry round trip, never a wrong answer.
func (c *Checker) store(k cacheKey, res sign.Result) {
	ttl := c.opt.FailureTTL
	if res.Verified {
		ttl = c.opt.CacheTTL
	}
	now := c.opt.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cache) >= c.opt.MaxEntries {
		for key, e := range c.cache {
			if !now.Before(e.expires) {
				delete(c.cache, key)
			}
		}
		for key := range c.cache {
			if len(c.cache) < c.opt.MaxEntries {
				break
			}
			delete(c.cache, key)
		}
	}
	c.cache[k] = cached{res: res, expires: now.Add(ttl)}
}

// parallel runs f(0..n-1) with at most limit at once.
func parallel(n, limit int, f func(int)) {
	var g errgroup.Group
	g.SetLimit(limit)
	for i := range n {
		g.Go(func() error { f(i); return nil })
	}
	_ = g.Wait() // f reports through what it writes, never an error
}

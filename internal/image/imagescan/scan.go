// Package imagescan scans the images workloads use: each distinct reference resolved
// to a digest once, each digest's contents inventoried once (and cached by digest),
// matched against the OSV database, its signatures checked against the signing
// policy, and the results turned into findings of the image/* rules.
package imagescan

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/moat-dev/moat/internal/image"
	"github.com/moat-dev/moat/internal/image/contents"
	"github.com/moat-dev/moat/internal/image/osvdb"
	"github.com/moat-dev/moat/internal/image/registry"
	"github.com/moat-dev/moat/internal/image/sign"
)

// Options configure a scan.
type Options struct {
	Registry *registry.Client
	// Cache keeps each digest's contents; nil: no cache.
	Cache *registry.Cache
	// DB is the OSV database; nil: no vulnerability matching.
	DB *osvdb.DB
	// Verifier and Policy check signatures; nil: no signature check.
	Verifier *sign.Verifier
	Policy   *sign.Policy
	// Insecure lets signatures be read from registries over plain HTTP.
	Insecure bool
	Contents contents.Options
	// Concurrency is how many images are read at once (default 4).
	Concurrency int
}

// Image is what the scan found for one image reference.
type Image struct {
	Use       image.Use
	Digest    string
	Contents  *image.Contents
	Matches   []osvdb.Match
	Signature *sign.Result
	// Cached says the contents came from the cache (no layer was read).
	Cached bool
	Err    error
}

// Stats count the work a scan did.
type Stats struct {
	References, Digests, Fetched, Cached int
}

func (s Stats) String() string {
	return fmt.Sprintf("%d image references, %d distinct images: %d read, %d from the cache", s.References, s.Digests, s.Fetched, s.Cached)
}

// contentsKind is the cache kind of image contents; bump the version when Contents or
// the extractors change what they find.
const contentsKind = "contents-v1"

// Scan scans every image of uses. An image that cannot be read is an Image with Err;
// the others go on.
func Scan(ctx context.Context, uses []image.Use, opt Options) ([]Image, Stats) {
	if opt.Concurrency <= 0 {
		opt.Concurrency = 4
	}
	out := make([]Image, len(uses))
	resolved := make([]*registry.Resolved, len(uses))
	parallel(len(uses), opt.Concurrency, func(i int) {
		out[i].Use = uses[i]
		src, err := registry.ParseSource(uses[i].Image)
		if err != nil {
			out[i].Err = err
			return
		}
		r, err := opt.Registry.Resolve(ctx, src)
		if err != nil {
			out[i].Err = err
			return
		}
		resolved[i] = r
		out[i].Digest = r.Digest
	})

	// Each digest once, however many references name it.
	byDigest := map[string][]int{}
	var digests []string
	for i, r := range resolved {
		if r == nil {
			continue
		}
		if _, ok := byDigest[r.Digest]; !ok {
			digests = append(digests, r.Digest)
		}
		byDigest[r.Digest] = append(byDigest[r.Digest], i)
	}
	st := Stats{References: len(uses), Digests: len(digests)}
	var mu sync.Mutex
	parallel(len(digests), opt.Concurrency, func(k int) {
		d := digests[k]
		first := byDigest[d][0]
		r := resolved[first]
		c, cached, err := readContents(ctx, r, opt)
		mu.Lock()
		if cached {
			st.Cached++
		} else if err == nil {
			st.Fetched++
		}
		mu.Unlock()
		var matches []osvdb.Match
		if err == nil && opt.DB != nil {
			matches = opt.DB.Match(c.Packages)
		}
		for _, i := range byDigest[d] {
			out[i].Contents, out[i].Matches, out[i].Cached, out[i].Err = c, matches, cached, err
			if err == nil && opt.Verifier != nil && opt.Policy != nil {
				out[i].Signature = verify(ctx, opt, uses[i].Image, r)
			}
		}
	})
	return out, st
}

// readContents returns a digest's contents, from the cache or by reading the image.
func readContents(ctx context.Context, r *registry.Resolved, opt Options) (*image.Contents, bool, error) {
	var c image.Contents
	if opt.Cache != nil {
		if ok, _ := opt.Cache.Get(contentsKind, r.Digest, &c); ok {
			c.Ref = r.Source.String()
			return &c, true, nil
		}
	}
	got, err := contents.Inventory(ctx, r.Image, opt.Contents)
	if err != nil {
		return nil, false, fmt.Errorf("image %s (%s): %w", r.Source, r.Digest, err)
	}
	got.Ref, got.Digest, got.Platform = r.Source.String(), r.Digest, r.Platform
	if opt.Cache != nil {
		_ = opt.Cache.Put(contentsKind, r.Digest, got) // a cache that cannot be written only costs time
	}
	return got, false, nil
}

// verify checks the signatures of an image the policy names.
func verify(ctx context.Context, opt Options, ref string, r *registry.Resolved) *sign.Result {
	rule := opt.Policy.RuleFor(ref)
	if rule == nil {
		return nil
	}
	var nopt []name.Option
	if opt.Insecure {
		nopt = append(nopt, name.Insecure)
	}
	parsed, err := name.ParseReference(ref, nopt...)
	if err != nil {
		return &sign.Result{Reason: err.Error()}
	}
	repo := parsed.Context()
	// A signature signs what the reference names: the index of a multi-platform image.
	signed := r.Digest
	if r.IndexDigest != "" {
		signed = r.IndexDigest
	}
	h, err := v1.NewHash(signed)
	if err != nil {
		return &sign.Result{Reason: err.Error()}
	}
	res := opt.Verifier.Verify(ctx, repo, h, rule)
	return &res
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

// sortedWorkloads names the workloads of a use, for messages.
func sortedWorkloads(u image.Use) []string {
	var out []string
	for _, w := range u.Workloads {
		s := w.Resource.Kind + "/" + w.Resource.Name
		if w.Resource.Namespace != "" {
			s = w.Resource.Kind + "/" + w.Resource.Namespace + "/" + w.Resource.Name
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

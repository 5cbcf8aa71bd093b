package imagesig_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/moat-dev/moat/internal/admission"
	"github.com/moat-dev/moat/internal/admission/imagesig"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/image"
	"github.com/moat-dev/moat/internal/image/registry"
	"github.com/moat-dev/moat/internal/image/sign"
	"github.com/moat-dev/moat/internal/image/sign/signtest"
)

// fixture is an in-process registry that counts its requests and can be taken down,
// with a signed and an unsigned image in team/app.
type fixture struct {
	t        *testing.T
	host     string
	repo     name.Repository
	requests atomic.Int64
	down     atomic.Bool
	signed   v1.Hash
	unsigned v1.Hash
	policy   *sign.Policy
	verifier *sign.Verifier
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t}
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)), ggcrregistry.WithReferrersSupport(true))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		if f.down.Load() {
			http.Error(w, "down for maintenance", http.StatusUnauthorized) // refused at once, not retried
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.host = strings.TrimPrefix(srv.URL, "http://")
	var err error
	if f.repo, err = name.NewRepository(f.host+"/team/app", name.Insecure); err != nil {
		t.Fatal(err)
	}
	key, err := signtest.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	signedDesc := f.push("signed")
	f.signed = signedDesc.Digest
	f.unsigned = f.push("unsigned").Digest
	b, err := key.MessageBundle(f.signed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signtest.AttachBundle(f.repo, signedDesc, b); err != nil {
		t.Fatal(err)
	}
	f.policy = &sign.Policy{Rules: []sign.Rule{{Images: []string{f.host + "/team/*"}, Keys: []string{key.PublicPEM()}}}}
	if f.verifier, err = sign.NewVerifier(f.policy, sign.Options{}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) push(tag string) v1.Descriptor {
	f.t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := remote.Write(f.repo.Tag(tag), img); err != nil {
		f.t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		f.t.Fatal(err)
	}
	raw, _ := img.RawManifest()
	mt, _ := img.MediaType()
	return v1.Descriptor{Digest: d, MediaType: mt, Size: int64(len(raw))}
}

func (f *fixture) checker(allowOnError bool, now func() time.Time) *imagesig.Checker {
	f.t.Helper()
	c, err := imagesig.New(imagesig.Options{
		Policy: f.policy, Verifier: f.verifier, Registry: registry.New(registry.Options{Timeout: time.Second}),
		AllowOnError: allowOnError, Timeout: 3 * time.Second, Now: now,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

var pod = finding.Resource{APIVersion: "v1", Kind: "Pod", Namespace: "apps", Name: "web"}

func images(refs ...string) []admission.ContainerImage {
	out := make([]admission.ContainerImage, len(refs))
	for i, r := range refs {
		out[i] = admission.ContainerImage{Image: r, Path: "spec.containers[" + string(rune('0'+i)) + "].image"}
	}
	return out
}

func TestCheckSignatures(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name         string
		refs         []string
		down         bool
		allowOnError bool
		findings     []string // the paths of the findings
		warnings     int
		err          string
	}{
		{name: "signed by tag", refs: []string{f.host + "/team/app:signed"}},
		{name: "signed by digest", refs: []string{f.host + "/team/app@" + f.signed.String()}},
		{name: "unsigned by tag", refs: []string{f.host + "/team/app:unsigned"}, findings: []string{"spec.containers[0].image"}},
		{name: "unsigned by digest, beside a signed one", refs: []string{f.host + "/team/app:signed", f.host + "/team/app@" + f.unsigned.String()}, findings: []string{"spec.containers[1].image"}},
		{name: "an image no rule names is not checked", refs: []string{"nginx:1.27"}},
		{name: "registry down, deny", refs: []string{f.host + "/team/app:signed"}, down: true, err: "could not be checked"},
		{name: "registry down by digest, deny", refs: []string{f.host + "/team/app@" + f.signed.String()}, down: true, err: "failurePolicy is Deny"},
		{name: "registry down, allow with a warning", refs: []string{f.host + "/team/app:signed"}, down: true, allowOnError: true, warnings: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.down.Store(c.down)
			defer f.down.Store(false)
			f.requests.Store(0)
			rep := f.checker(c.allowOnError, nil).CheckSignatures(context.Background(), pod, images(c.refs...))
			if c.err == "" && rep.Err != nil {
				t.Fatalf("error: %v", rep.Err)
			}
			if c.err != "" && (rep.Err == nil || !strings.Contains(rep.Err.Error(), c.err)) {
				t.Fatalf("error %v, want one saying %q", rep.Err, c.err)
			}
			var paths []string
			for _, fd := range rep.Findings {
				if fd.RuleID != image.SignatureMissingRule.ID || fd.Resource != pod || !strings.Contains(fd.Message, "no signature of sha256:") {
					t.Errorf("finding %+v: want %s about the pod naming the digest", fd, image.SignatureMissingRule.ID)
				}
				paths = append(paths, fd.Path)
			}
			if strings.Join(paths, ",") != strings.Join(c.findings, ",") {
				t.Errorf("findings at %v, want %v", paths, c.findings)
			}
			if len(rep.Warnings) != c.warnings {
				t.Errorf("warnings %q, want %d", rep.Warnings, c.warnings)
			}
			if c.refs[0] == "nginx:1.27" && f.requests.Load() != 0 {
				t.Errorf("%d registry requests for an image no rule names", f.requests.Load())
			}
		})
	}
}

// A verified digest is remembered for CacheTTL: the second check of a digest
// reference makes no request at all; an unsigned one is looked up again after the
// short FailureTTL; a registry error is never remembered.
func TestCache(t *testing.T) {
	f := newFixture(t)
	now := time.Unix(1_700_000_000, 0)
	c := f.checker(false, func() time.Time { return now })
	signed := images(f.host + "/team/app@" + f.signed.String())
	unsigned := images(f.host + "/team/app@" + f.unsigned.String())
	check := func(what string, ims []admission.ContainerImage, wantFindings int, wantRequests bool) {
		t.Helper()
		f.requests.Store(0)
		rep := c.CheckSignatures(context.Background(), pod, ims)
		if rep.Err != nil {
			t.Fatalf("%s: %v", what, rep.Err)
		}
		if len(rep.Findings) != wantFindings {
			t.Errorf("%s: %d findings, want %d", what, len(rep.Findings), wantFindings)
		}
		if got := f.requests.Load(); (got > 0) != wantRequests {
			t.Errorf("%s: %d registry requests, want requests: %v", what, got, wantRequests)
		}
	}
	check("signed, first", signed, 0, true)
	check("signed, again", signed, 0, false)
	check("unsigned, first", unsigned, 1, true)
	check("unsigned, again", unsigned, 1, false)
	now = now.Add(imagesig.DefaultFailureTTL + time.Second)
	check("unsigned, after the failure TTL", unsigned, 1, true)
	check("signed, within the TTL", signed, 0, false)
	now = now.Add(admission.DefaultSignatureCacheTTL)
	check("signed, after the TTL", signed, 0, true)

	// An error is not remembered: once the registry is back, the image is checked again.
	now = now.Add(admission.DefaultSignatureCacheTTL)
	f.down.Store(true)
	if rep := c.CheckSignatures(context.Background(), pod, signed); rep.Err == nil {
		t.Fatal("registry down: no error")
	}
	f.down.Store(false)
	check("signed, registry back", signed, 0, true)
}

// A registry that does not answer makes the check give up within its timeout.
func TestTimeout(t *testing.T) {
	f := newFixture(t)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer hang.Close()
	host := strings.TrimPrefix(hang.URL, "http://")
	policy := &sign.Policy{Rules: []sign.Rule{{Images: []string{host + "/**"}, Keys: f.policy.Rules[0].Keys}}}
	v, err := sign.NewVerifier(policy, sign.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := imagesig.New(imagesig.Options{Policy: policy, Verifier: v, Registry: registry.New(registry.Options{}), Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep := c.CheckSignatures(context.Background(), pod, images(host+"/team/app:v1"))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s with a timeout of 300ms", took)
	}
	if rep.Err == nil {
		t.Error("a hanging registry: no error")
	}
}

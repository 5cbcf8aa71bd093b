package sign_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"

	"github.com/moat-dev/moat/internal/image/sign"
	"github.com/moat-dev/moat/internal/image/sign/signtest"
)

var (
	ci    = signtest.Identity{Issuer: "https://issuer.example.com", Subject: "ci@example.com"}
	other = signtest.Identity{Issuer: "https://issuer.example.com", Subject: "mallory@example.com"}
	evil  = signtest.Identity{Issuer: "https://evil.example.com", Subject: "ci@example.com"}
)

// world is a registry with two images in it, the keys and the virtual Sigstore that sign
// them, and the trusted root on disk.
type world struct {
	t        *testing.T
	repo     name.Repository
	image    image // the image verified
	another  image // another image of the same repository
	key      *signtest.Key
	stranger *signtest.Key // a key no rule names
	sigstore *signtest.Sigstore
	dir      string // holds trusted_root.json and the keys
}

type image struct {
	desc     v1.Descriptor
	manifest []byte
}

func newWorld(t *testing.T, referrersAPI bool) *world {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(nilLogger()), registry.WithReferrersSupport(referrersAPI)))
	t.Cleanup(srv.Close)
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://")+"/team/app", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, repo: repo, dir: t.TempDir()}
	w.image = w.push("v1")
	w.another = w.push("v2")
	if w.key, err = signtest.NewKey(); err != nil {
		t.Fatal(err)
	}
	if w.stranger, err = signtest.NewKey(); err != nil {
		t.Fatal(err)
	}
	if w.sigstore, err = signtest.NewSigstore(); err != nil {
		t.Fatal(err)
	}
	tr, err := w.sigstore.TrustedRootJSON()
	if err != nil {
		t.Fatal(err)
	}
	w.write("trusted_root.json", tr)
	w.write("cosign.pub", []byte(w.key.PublicPEM()))
	return w
}

func (w *world) write(name string, data []byte) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, name), data, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// push writes a random image at tag and returns its descriptor and manifest.
func (w *world) push(tag string) image {
	w.t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := remote.Write(w.repo.Tag(tag), img); err != nil {
		w.t.Fatal(err)
	}
	raw, err := img.RawManifest()
	if err != nil {
		w.t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		w.t.Fatal(err)
	}
	mt, err := img.MediaType()
	if err != nil {
		w.t.Fatal(err)
	}
	return image{desc: v1.Descriptor{MediaType: mt, Size: int64(len(raw)), Digest: d}, manifest: raw}
}

func (w *world) name() string { return w.repo.Name() }

// The ways a test attaches signatures.

func (w *world) referrer(b *protobundle.Bundle, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := signtest.AttachBundle(w.repo, w.image.desc, b); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) cosignTag(l signtest.Layer, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := signtest.AttachCosign(w.repo, w.image.desc.Digest, []signtest.Layer{l}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) cosignReferrer(l signtest.Layer, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := signtest.AttachCosignReferrer(w.repo, w.image.desc, []signtest.Layer{l}); err != nil {
		w.t.Fatal(err)
	}
}

// The rules tests use; paths are relative to the world's directory.
func keyed() sign.Rule { return sign.Rule{Images: []string{"**"}, Keys: []string{"cosign.pub"}} }
func keyless(ids ...sign.Identity) sign.Rule {
	return sign.Rule{Images: []string{"**"}, Keyless: ids, TrustedRoot: "trusted_root.json"}
}
func ciIdentity() sign.Identity { return sign.Identity{Issuer: ci.Issuer, Subject: ci.Subject} }

func TestVerify(t *testing.T) {
	tests := []struct {
		name   string
		rule   func(w *world) sign.Rule
		attach func(w *world)
		// want is a substring of By when verified, of Reason when not.
		verified bool
		want     string
	}{
		{
			name: "keyed message signature as a referrer",
			rule: func(*world) sign.Rule { return keyed() },
			attach: func(w *world) {
				w.referrer(w.key.MessageBundle(w.image.desc.Digest))
			},
			verified: true, want: "key sha256:",
		},
		{
			name: "keyed DSSE statement as a referrer",
			rule: func(*world) sign.Rule { return keyed() },
			attach: func(w *world) {
				w.referrer(w.key.StatementBundle(w.name(), w.image.desc.Digest, sign.CosignSignPredicate))
			},
			verified: true, want: "(cosign.pub)",
		},
		{
			name: "keyed cosign signature in the tag scheme",
			rule: func(*world) sign.Rule { return keyed() },
			attach: func(w *world) {
				w.cosignTag(w.key.CosignLayer(signtest.SimpleSigningPayload(w.name(), w.image.desc.Digest)))
			},
			verified: true, want: "key sha256:",
		},
		{
			name: "keyed cosign signature as an OCI 1.1 referrer",
			rule: func(*world) sign.Rule { return keyed() },
			attach: func(w *world) {
				w.cosignReferrer(w.key.CosignLayer(signtest.SimpleSigningPayload(w.name(), w.image.desc.Digest)))
			},
			verified: true, want: "key sha256:",
		},
		{
			name: "keyed signature with an inline key",
			rule: func(w *world) sign.Rule {
				return sign.Rule{Images: []string{"**"}, Keys: []string{w.key.PublicPEM()}}
			},
			attach: func(w *world) {
				w.referrer(w.key.MessageBundle(w.image.desc.Digest))
			},
			verified: true, want: "key sha256:",
		},
		{
			name: "keyed signature in the log when the rule requires it",
			rule: func(*world) sign.Rule {
				r := keyed()
				r.RequireTlog, r.TrustedRoot = true, "trusted_root.json"
				return r
			},
			attach: func(w *world) {
				b, err := w.key.MessageBundle(w.image.desc.Digest)
				if err == nil {
					err = w.sigstore.LogKeyed(b, w.key)
				}
				w.referrer(b, err)
			},
			verified: true, want: "key sha256:",
		},
		{
			name: "keyed signature missing from the log when the rule requires it",
			rule: func(*world) sign.Rule {
				r := keyed()
				r.RequireTlog, r.TrustedRoot = true, "trusted_root.json"
				return r
			},
			attach: func(w *world) {
				w.referrer(w.key.MessageBundle(w.image.desc.Digest))
			},
			want: "the rule requires a transparency log entry and the signature has none",
		},
		{
			name: "signed with a key the rule does not name",
			rule: func(*world) sign.Rule { return keyed() },
			attach: func(w *world) {
				w.referrer(w.stranger.MessageBundle(w.image.desc.Digest))
			},
			want: "failed to verify signature",
		},
		{
			name: "keyless message signature as a referrer, logged and timestamped",
			rule: func(*world) sign.Rule {
				r := keyless(ciIdentity())
				r.RequireTlog, r.RequireTimestamp = true, true
				return r
			},
			attach: func(w *world) {
				w.referrer(w.sigstore.MessageBundle(ci, w.image.manifest, signtest.Omit{}))
			},
			verified: true, want: `issuer "https://issuer.example.com" subject "ci@example.com"`,
		},
		{
			name: "keyless DSSE statement as a referrer",
			rule: func(*world) sign.Rule { return keyless(ciIdentity()) },
			attach: func(w *world) {
				w.referrer(w.sigstore.StatementBundle(ci, w.name(), w.image.desc.Digest, sign.CosignSignPredicate, signtest.Omit{}))
			},
			verified: true, want: `subject "ci@example.com"`,
		},
		{
			name: "keyless cosign signature in the tag scheme with its Rekor bundle",
			rule: func(*world) sign.Rule {
				r := keyless(ciIdentity())
				r.RequireTlog = true
				return r
			},
			attach: func(w *world) {
				w.cosignTag(w.sigstore.CosignLayer(ci, signtest.SimpleSigningPayload(w.name(), w.image.desc.Digest), signtest.Omit{}))
			},
			verified: true, want: `subject "ci@example.com"`,
		},
		{
			name: "keyless cosign signature in the tag scheme, timestamped but not logged",
			rule: func(*world) sign.Rule {
				r := keyless(ciIdentity())
				r.RequireTimestamp = true
				return r
			},
			attach: func(w *world) {
				w.cosignTag(w.sigstore.CosignLayer(ci, signtest.SimpleSigningPayload(w.name(), w.image.desc.Digest), signtest.Omit{Tlog: true}))
			},
			verified: true, want: `subject "ci@example.com"`,
		},
		{
			name: "keyless cosign signature with neither log entry nor timestamp, log required",
			rule: func(*world) sign.Rule {
				r := keyless(ciIdentity())
				r.RequireTlog = true
				return r
			},
			attach: func(w *world) {
				w.cosignTag(w.sigstore.CosignLayer(ci, signtest.SimpleSigningPayload(w.name(), w.image.desc.Digest), signtest.Omit{Tlog: true, Timestamp: true}))
			},
			want: "the rule requires a transparency log entry and the signature has none",
		},
		{
			name: "keyless signature matched by whole-value regular expressions",
			rule: func(*world) sign.Rule {
				return keyless(sign.Identity{IssuerRegexp: `https://issuer\.example\.com`, SubjectRegexp: `.*@example\.com`})
			},
			attach: func(w *world) {
				w.referrer(w.sigstore.MessageBundle(ci, w.image.manifest, signtest.Omit{}))
			},
			verified: true, want: `subject "ci@example.com"`,
		},
		{
			name: "subject regular expression matching only part of the subject",
			rule: func(*world) sign.Rule {
				return keyless(sign.Identity{Issuer: ci.Issuer, SubjectRegexp: `ci@example`})
			},
			attach: func(w *world) {
				w.referrer(w.sigstore.MessageBundle(ci, w.image.manifest, signtest.Omit{}))
			},
			want: `certificate subject "ci@example.com" (issuer "https://issuer.example.com") is none of the rule's keyless identities`,
		},
		{
			name: "wrong identity: another subject of the same issuer",
			rule: func(*world) sign.Rule { return keyless(ciIdentity()) },
			attach: func(w *world) {
				w.referrer(w.sigstore.MessageBundle(other, w.image.manifest, signtest.Omit{}))
			},
			want: `certificate subject "mallory@example.com"`,
		},
		{
			name: "wrong issuer: the same subject from another issuer",
			rule: func(*world) sign.Rule { return keyless(ciIdentity()) },
			attach: func(w *world) {
				w.referrer(w.sigstore.MessageBundle(evil, w.image.manifest, signtest.Omit{}))
			},
			want: `certificate issuer "https://evil.example.com" is none of the rule's keyless identities`,
		},
		{
			name: "tampered image: another digest's cosign signature put under this digest's tag",
			rule: func(*world) sign.Rule { return keyed() },
			attach: func(w *world) {
				w.cosignTag(w.key.CosignLayer(signtest.SimpleSigningPayload(w.name(), w.another.desc.Digest)))
			},
			want: "signed payload names " + "sha256:",
		},
		{
			name: "signature for another digest attached as a referrer",
			rule: func(*world) sign.Rule { return keyless(ciIdentity()) },
			attach: func(w *world) {
				w.referrer(w.sigstore.MessageBundle(ci, w.another.manifest, signtest.Omit{}))
			},
			want: "signature is over sha256:",
		},
		{
			name: "statement about another digest attached as a referrer",
			rule: func(*world) sign.Rule { return keyed() },
			attach: func(w *world) {
				w.referrer(w.key.StatementBundle(w.name(), w.another.desc.Digest, sign.CosignSignPredicate))
			},
			want: "signed statement is about sha256:",
		},
		{
			name: "expired certificate without a log entry or timestamp",
			rule: func(*world) sign.Rule { return keyless(ciIdentity()) },
			attach: func(w *world) {
				w.referrer(w.sigstore.MessageBundleAt(ci, w.image.manifest, time.Now().Add(-time.Hour)))
			},
			want: "and the signature has no transparency log entry or timestamp to show it was made before then",
		},
		{
			name: "certificate still valid, without a log entry or timestamp",
			rule: func(*world) sign.Rule { return keyless(ciIdentity()) },
			attach: func(w *world) {
				w.referrer(w.sigstore.MessageBundleAt(ci, w.image.manifest, time.Now().Add(-time.Minute)))
			},
			verified: true, want: `subject "ci@example.com"`,
		},
		{
			name: "keyless signature missing from the log when the rule requires it",
			rule: func(*world) sign.Rule {
				r := keyless(ciIdentity())
				r.RequireTlog = true
				return r
			},
			attach: func(w *world) {
				w.referrer(w.sigstore.MessageBundle(ci, w.image.manifest, signtest.Omit{Tlog: true}))
			},
			want: "the rule requires a transparency log entry and the signature has none",
		},
		{
			name: "keyless signature timestamped but not logged, log not required",
			rule: func(*world) sign.Rule { return keyless(ciIdentity()) },
			attach: func(w *world) {
				w.referrer(w.sigstore.MessageBundle(ci, w.image.manifest, signtest.Omit{Tlog: true}))
			},
			verified: true, want: `subject "ci@example.com"`,
		},
		{
			name: "keyless signature without a timestamp when the rule requires one",
			rule: func(*world) sign.Rule {
				r := keyless(ciIdentity())
				r.RequireTimestamp = true
				return r
			},
			attach: func(w *world) {
				w.referrer(w.sigstore.MessageBundle(ci, w.image.manifest, signtest.Omit{Timestamp: true}))
			},
			want: "the rule requires an RFC 3161 timestamp and the signature has none",
		},
		{
			name: "an SBOM attestation is not a signature",
			rule: func(*world) sign.Rule { return keyless(ciIdentity()) },
			attach: func(w *world) {
				w.referrer(w.sigstore.StatementBundle(ci, w.name(), w.image.desc.Digest, "https://cyclonedx.org/bom", signtest.Omit{}))
			},
			want: "no signature found",
		},
		{
			name: "an attestation the rule lists as a signature",
			rule: func(*world) sign.Rule {
				r := keyless(ciIdentity())
				r.PredicateTypes = []string{"https://slsa.dev/provenance/v1"}
				return r
			},
			attach: func(w *world) {
				w.referrer(w.sigstore.StatementBundle(ci, w.name(), w.image.desc.Digest, "https://slsa.dev/provenance/v1", signtest.Omit{}))
			},
			verified: true, want: `subject "ci@example.com"`,
		},
		{
			name: "a referrer that is not a Sigstore bundle",
			rule: func(*world) sign.Rule { return keyed() },
			attach: func(w *world) {
				if _, err := signtest.AttachBundleJSON(w.repo, w.image.desc, []byte(`{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}`), nil); err != nil {
					w.t.Fatal(err)
				}
			},
			want: "sigstore bundle: invalid bundle",
		},
		{
			name: "keyless signature under a rule that names only keys",
			rule: func(*world) sign.Rule { return keyed() },
			attach: func(w *world) {
				w.referrer(w.sigstore.MessageBundle(ci, w.image.manifest, signtest.Omit{}))
			},
			want: "signed with a certificate, but the rule names no keyless identities",
		},
		{
			name: "one bad and one good signature",
			rule: func(*world) sign.Rule { return keyed() },
			attach: func(w *world) {
				w.referrer(w.stranger.MessageBundle(w.image.desc.Digest))
				w.cosignTag(w.key.CosignLayer(signtest.SimpleSigningPayload(w.name(), w.image.desc.Digest)))
			},
			verified: true, want: "key sha256:",
		},
		{
			name:     "unsigned image",
			rule:     func(*world) sign.Rule { return keyed() },
			attach:   func(*world) {},
			want:     "no signature found",
			verified: false,
		},
	}
	for _, api := range []bool{true, false} {
		mode := "referrers API"
		if !api {
			mode = "referrers tag schema"
		}
		t.Run(mode, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					w := newWorld(t, api)
					tt.attach(w)
					policy := &sign.Policy{Rules: []sign.Rule{tt.rule(w)}}
					v, err := sign.NewVerifier(policy, sign.Options{BaseDir: w.dir, Timeout: 20 * time.Second})
					if err != nil {
						t.Fatal(err)
					}
					rule := policy.RuleFor(w.repo.Tag("v1").String())
					if rule == nil {
						t.Fatal("no rule for the image")
					}
					res := v.Verify(context.Background(), w.repo, w.image.desc.Digest, rule)
					t.Logf("verified=%v by=%q source=%q reason=%q", res.Verified, res.By, res.Source, res.Reason)
					if res.Verified != tt.verified {
						t.Fatalf("Verified = %v, want %v; result %+v", res.Verified, tt.verified, res)
					}
					got := res.Reason
					if res.Verified {
						got = res.By
					}
					if !strings.Contains(got, tt.want) {
						t.Errorf("got %q, want it to contain %q (result %+v)", got, tt.want, res)
					}
					if res.Digest != w.image.desc.Digest.String() {
						t.Errorf("Digest = %q, want %q", res.Digest, w.image.desc.Digest)
					}
					if res.Err != nil {
						t.Errorf("Err = %v, want nil: the registry answered", res.Err)
					}
				})
			}
		})
	}
}

// TestVerifyRegistryFailures: a registry that fails or hangs gives an error in Reason
// and Err, within the timeout.
func TestVerifyRegistryFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{
			name:    "registry answers 500",
			handler: func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "broken", http.StatusInternalServerError) },
			want:    "500",
		},
		{
			name: "registry hangs",
			handler: func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
			},
			want: "gave up after 500ms",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			t.Cleanup(srv.Close)
			repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://")+"/team/app", name.Insecure)
			if err != nil {
				t.Fatal(err)
			}
			key, err := signtest.NewKey()
			if err != nil {
				t.Fatal(err)
			}
			policy := &sign.Policy{Rules: []sign.Rule{{Images: []string{"**"}, Keys: []string{key.PublicPEM()}}}}
			timeout := 500 * time.Millisecond
			v, err := sign.NewVerifier(policy, sign.Options{
				Timeout: timeout,
				Remote:  []remote.Option{remote.WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 2})},
			})
			if err != nil {
				t.Fatal(err)
			}
			digest, err := v1.NewHash("sha256:" + strings.Repeat("ab", 32))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			res := v.Verify(context.Background(), repo, digest, &policy.Rules[0])
			if elapsed := time.Since(start); elapsed > timeout+2*time.Second {
				t.Errorf("Verify took %s, past its %s timeout", elapsed, timeout)
			}
			if res.Verified || res.Err == nil {
				t.Fatalf("want not verified with Err set, got %+v", res)
			}
			if !strings.Contains(res.Reason, "could not look up signatures") || !strings.Contains(res.Reason, tt.want) {
				t.Errorf("Reason = %q, want it to say the lookup failed with %q", res.Reason, tt.want)
			}
		})
	}
}

func TestNewVerifierErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.pub"), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad_root.json"), []byte(`{"mediaType": "nope"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	id := sign.Identity{Issuer: "https://issuer.example.com", Subject: "ci@example.com"}
	key, err := signtest.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opt  sign.Options
		rule sign.Rule
		want string
	}{
		{"missing key file", sign.Options{BaseDir: dir}, sign.Rule{Images: []string{"**"}, Keys: []string{"none.pub"}}, "rules[0].keys[0]: open " + filepath.Join(dir, "none.pub")},
		{"key file without PEM", sign.Options{BaseDir: dir}, sign.Rule{Images: []string{"**"}, Keys: []string{"bad.pub"}}, "rules[0].keys[0]: bad.pub: no PEM block"},
		{"keyless without trusted root", sign.Options{}, sign.Rule{Images: []string{"**"}, Keyless: []sign.Identity{id}}, "rules[0]: keyless identities need a trusted root"},
		{"log required without trusted root", sign.Options{BaseDir: dir}, sign.Rule{Images: []string{"**"}, Keys: []string{key.PublicPEM()}, RequireTlog: true}, "rules[0]: requireTransparencyLog needs a trusted root"},
		{"trusted root that is not one", sign.Options{BaseDir: dir}, sign.Rule{Images: []string{"**"}, Keyless: []sign.Identity{id}, TrustedRoot: "bad_root.json"}, "rules[0].trustedRoot: bad_root.json: not a Sigstore trusted root"},
		{"missing default trusted root", sign.Options{BaseDir: dir, TrustedRoot: "nowhere.json"}, sign.Rule{Images: []string{"**"}, Keyless: []sign.Identity{id}}, "rules[0].trustedRoot: open " + filepath.Join(dir, "nowhere.json")},
		{"rule with no signer", sign.Options{}, sign.Rule{Images: []string{"**"}}, "rules[0]: names no keys and no keyless identities"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sign.NewVerifier(&sign.Policy{Rules: []sign.Rule{tt.rule}}, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func nilLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// TestVerifyBounds: what one Verify reads is bounded in count and in bytes, and what is
// left unread is said.
func TestVerifyBounds(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		attach func(w *world)
		want   []string
	}{
		{
			name: "more signatures than the limit",
			max:  2,
			attach: func(w *world) {
				for range 3 {
					w.referrer(w.stranger.MessageBundle(w.image.desc.Digest))
				}
			},
			want: []string{"no valid signature: ", "not read, past the limit of signatures read per image"},
		},
		{
			name: "a bundle over the size limit",
			attach: func(w *world) {
				big := []byte(`{"mediaType": "` + strings.Repeat("x", 4<<20) + `"}`)
				if _, err := signtest.AttachBundleJSON(w.repo, w.image.desc, big, nil); err != nil {
					w.t.Fatal(err)
				}
			},
			want: []string{"is over the 4194304-byte limit"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, true)
			tt.attach(w)
			policy := &sign.Policy{Rules: []sign.Rule{keyed()}}
			v, err := sign.NewVerifier(policy, sign.Options{BaseDir: w.dir, MaxSignatures: tt.max})
			if err != nil {
				t.Fatal(err)
			}
			res := v.Verify(context.Background(), w.repo, w.image.desc.Digest, &policy.Rules[0])
			if res.Verified || res.Err != nil {
				t.Fatalf("want not verified without a lookup error, got %+v", res)
			}
			for _, want := range tt.want {
				if !strings.Contains(res.Reason, want) {
					t.Errorf("Reason = %q, want it to contain %q", res.Reason, want)
				}
			}
		})
	}
}

// TestVerifyConcurrent: one Verifier serves many goroutines (the admission webhook).
func TestVerifyConcurrent(t *testing.T) {
	w := newWorld(t, true)
	w.referrer(w.key.MessageBundle(w.image.desc.Digest))
	w.referrer(w.sigstore.MessageBundle(ci, w.image.manifest, signtest.Omit{}))
	policy := &sign.Policy{Rules: []sign.Rule{{
		Images: []string{"**"}, Keys: []string{"cosign.pub"}, Keyless: []sign.Identity{ciIdentity()}, TrustedRoot: "trusted_root.json",
	}}}
	v, err := sign.NewVerifier(policy, sign.Options{BaseDir: w.dir})
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan sign.Result, 8)
	for range cap(results) {
		go func() {
			results <- v.Verify(context.Background(), w.repo, w.image.desc.Digest, &policy.Rules[0])
		}()
	}
	for range cap(results) {
		if res := <-results; !res.Verified {
			t.Errorf("not verified: %+v", res)
		}
	}
}

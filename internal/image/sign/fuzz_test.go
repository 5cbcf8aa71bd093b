package sign_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/moat-dev/moat/internal/image/sign"
	"github.com/moat-dev/moat/internal/image/sign/signtest"
)

// offline is a verifier with keyed and keyless rules and no registry: what VerifyBundle
// tests and fuzzing need.
type offline struct {
	v        *sign.Verifier
	rule     *sign.Rule
	key      *signtest.Key
	sigstore *signtest.Sigstore
	manifest []byte  // the "image": its digest is what is verified
	digest   v1.Hash // sha256 of manifest
	other    []byte  // another image's manifest
}

func newOffline(tb testing.TB) *offline {
	tb.Helper()
	o := &offline{manifest: []byte(`{"schemaVersion":2,"layers":[]}`), other: []byte(`{"schemaVersion":2}`)}
	sum := sha256.Sum256(o.manifest)
	o.digest = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	var err error
	if o.key, err = signtest.NewKey(); err != nil {
		tb.Fatal(err)
	}
	if o.sigstore, err = signtest.NewSigstore(); err != nil {
		tb.Fatal(err)
	}
	tr, err := o.sigstore.TrustedRootJSON()
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "trusted_root.json"), tr, 0o600); err != nil {
		tb.Fatal(err)
	}
	policy := &sign.Policy{Rules: []sign.Rule{{
		Images:      []string{"**"},
		Keys:        []string{o.key.PublicPEM()},
		Keyless:     []sign.Identity{ciIdentity()},
		TrustedRoot: "trusted_root.json",
	}}}
	if o.v, err = sign.NewVerifier(policy, sign.Options{BaseDir: dir}); err != nil {
		tb.Fatal(err)
	}
	o.rule = &policy.Rules[0]
	return o
}

// bundleCase is a bundle and the answer for it; the same cases seed FuzzVerifyBundle.
type bundleCase struct {
	name     string
	make     func(o *offline) (*protobundle.Bundle, error)
	verified bool
	want     string // in By when verified, in Reason when not
}

var bundleCases = []bundleCase{
	{"keyed message signature", func(o *offline) (*protobundle.Bundle, error) { return o.key.MessageBundle(o.digest) }, true, "key sha256:"},
	{"keyed statement", func(o *offline) (*protobundle.Bundle, error) {
		return o.key.StatementBundle("registry.example.com/team/app", o.digest, sign.CosignSignPredicate)
	}, true, "key sha256:"},
	{"keyless message signature", func(o *offline) (*protobundle.Bundle, error) {
		return o.sigstore.MessageBundle(ci, o.manifest, signtest.Omit{})
	}, true, `subject "ci@example.com"`},
	{"keyless statement", func(o *offline) (*protobundle.Bundle, error) {
		return o.sigstore.StatementBundle(ci, "registry.example.com/team/app", o.digest, sign.CosignSignPredicate, signtest.Omit{})
	}, true, `subject "ci@example.com"`},
	{"keyless signature of another image", func(o *offline) (*protobundle.Bundle, error) {
		return o.sigstore.MessageBundle(ci, o.other, signtest.Omit{})
	}, false, "signature is over sha256:"},
	{"keyless signature from another subject", func(o *offline) (*protobundle.Bundle, error) {
		return o.sigstore.MessageBundle(other, o.manifest, signtest.Omit{})
	}, false, `certificate subject "mallory@example.com"`},
	{"expired certificate without timestamp", func(o *offline) (*protobundle.Bundle, error) {
		return o.sigstore.MessageBundleAt(ci, o.manifest, time.Now().Add(-time.Hour))
	}, false, "the certificate expired at"},
}

func TestVerifyBundle(t *testing.T) {
	o := newOffline(t)
	for _, tt := range bundleCases {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.make(o)
			if err != nil {
				t.Fatal(err)
			}
			data, err := signtest.BundleJSON(b)
			if err != nil {
				t.Fatal(err)
			}
			res := o.v.VerifyBundle(data, o.digest, o.rule)
			if res.Verified != tt.verified {
				t.Fatalf("Verified = %v, want %v (%+v)", res.Verified, tt.verified, res)
			}
			got := res.Reason
			if res.Verified {
				got = res.By
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to contain %q", got, tt.want)
			}
		})
	}
	if res := o.v.VerifyBundle([]byte(`{`), o.digest, o.rule); res.Verified || !strings.Contains(res.Reason, "sigstore bundle:") {
		t.Errorf("a truncated bundle gave %+v", res)
	}
}

// FuzzVerifyBundle: a bundle from anywhere never panics the verifier, and one that
// verifies signs this image's digest.
func FuzzVerifyBundle(f *testing.F) {
	o := newOffline(f)
	for _, tt := range bundleCases {
		b, err := tt.make(o)
		if err != nil {
			f.Fatal(err)
		}
		data, err := signtest.BundleJSON(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}},"messageSignature":{}}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1","dsseEnvelope":{"payloadType":"application/vnd.in-toto+json"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res := o.v.VerifyBundle(data, o.digest, o.rule)
		if !res.Verified {
			if res.Reason == "" {
				t.Fatal("not verified, with no reason")
			}
			return
		}
		b, err := sign.ParseBundle(data)
		if err != nil {
			t.Fatalf("verified a bundle that does not parse: %v", err)
		}
		if !signsDigest(b, o.digest) {
			t.Fatalf("verified a bundle that does not sign %s", o.digest)
		}
	})
}

// signsDigest reports whether a bundle's signed content names the digest.
func signsDigest(b *bundle.Bundle, d v1.Hash) bool {
	if ms := b.GetMessageSignature(); ms != nil {
		return hex.EncodeToString(ms.GetMessageDigest().GetDigest()) == d.Hex
	}
	var st struct {
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if json.Unmarshal(b.GetDsseEnvelope().GetPayload(), &st) != nil {
		return false
	}
	for _, s := range st.Subject {
		if s.Digest["sha256"] == d.Hex {
			return true
		}
	}
	return false
}

// FuzzParseSimpleSigning: a payload that parses names a well-formed digest.
func FuzzParseSimpleSigning(f *testing.F) {
	d := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	f.Add(signtest.SimpleSigningPayload("registry.example.com/team/app", d))
	f.Add([]byte(`{"critical":{"image":{"docker-manifest-digest":"sha256:zz"}}}`))
	f.Add([]byte(`{"critical":{"image":{"docker-manifest-digest":"sha512:` + strings.Repeat("0", 128) + `"}}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ss, err := sign.ParseSimpleSigning(data)
		if err != nil {
			return
		}
		if _, err := v1.NewHash(ss.Critical.Image.DockerManifestDigest); err != nil {
			t.Fatalf("parsed a payload whose digest %q is not one: %v", ss.Critical.Image.DockerManifestDigest, err)
		}
	})
}

// FuzzCosignBundle: cosign annotations from anywhere never panic, and the bundle built
// from them signs the payload's digest.
func FuzzCosignBundle(f *testing.F) {
	key, err := signtest.NewKey()
	if err != nil {
		f.Fatal(err)
	}
	ss, err := signtest.NewSigstore()
	if err != nil {
		f.Fatal(err)
	}
	payload := signtest.SimpleSigningPayload("registry.example.com/team/app", v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("cd", 32)})
	keyed, err := key.CosignLayer(payload)
	if err != nil {
		f.Fatal(err)
	}
	keyless, err := ss.CosignLayer(ci, payload, signtest.Omit{})
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range []signtest.Layer{keyed, keyless} {
		a := l.Annotations
		f.Add(l.Payload, a[sign.AnnotationSignature], a[sign.AnnotationCertificate], a[sign.AnnotationBundle], a[sign.AnnotationTimestamp])
	}
	f.Add(payload, "!!", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----", `{"Payload":{}}`, `{"SignedRFC3161Timestamp":1}`)
	f.Fuzz(func(t *testing.T, payload []byte, sig, cert, rekor, ts string) {
		ann := map[string]string{sign.AnnotationSignature: sig}
		for k, v := range map[string]string{sign.AnnotationCertificate: cert, sign.AnnotationBundle: rekor, sign.AnnotationTimestamp: ts} {
			if v != "" {
				ann[k] = v
			}
		}
		b, err := sign.CosignBundle(payload, ann)
		if err != nil {
			return
		}
		sum := sha256.Sum256(payload)
		if !bytes.Equal(b.GetMessageSignature().GetMessageDigest().GetDigest(), sum[:]) {
			t.Fatal("the bundle does not sign the payload's digest")
		}
		if _, err := b.VerificationContent(); err != nil {
			t.Fatalf("a bundle that validated has no verification content: %v", err)
		}
	})
}

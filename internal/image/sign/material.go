package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Bounds on what a policy makes the verifier read from disk.
const (
	maxKeyFileBytes         = 64 << 10
	maxTrustedRootFileBytes = 8 << 20
)

// ruleMaterial is a rule with its keys and trusted root loaded and its identities
// compiled: what verifying one signature needs.
type ruleMaterial struct {
	rule       *Rule
	name       string // "rules[0]", for errors
	keys       []trustedKey
	identities []verify.CertificateIdentity
	root       root.TrustedMaterial // nil when the rule names none and no default is set
	predicates []string
}

// trustedKey is one public key of a rule.
type trustedKey struct {
	fingerprint string // "sha256:<hex of the PKIX DER>"
	source      string // the file, or "inline"
	material    root.TrustedMaterial
}

func (k trustedKey) describe() string {
	if k.source == "inline" {
		return "key " + k.fingerprint
	}
	return "key " + k.fingerprint + " (" + k.source + ")"
}

// loader reads keys and trusted roots for a policy, each file once.
type loader struct {
	baseDir     string
	defaultRoot string
	roots       map[string]*root.TrustedRoot
}

func (l *loader) rule(r *Rule, name string) (*ruleMaterial, error) {
	if errs := r.validate(name); len(errs) > 0 {
		joined := make([]error, len(errs))
		for i, e := range errs {
			joined[i] = e
		}
		return nil, errors.Join(joined...)
	}
	m := &ruleMaterial{rule: r, name: name, predicates: r.PredicateTypes}
	if len(m.predicates) == 0 {
		m.predicates = []string{CosignSignPredicate}
	}
	for i, k := range r.Keys {
		key, err := l.key(k)
		if err != nil {
			return nil, fmt.Errorf("%s.keys[%d]: %w", name, i, err)
		}
		m.keys = append(m.keys, key)
	}
	for i, id := range r.Keyless {
		ci, err := verify.NewShortCertificateIdentity(id.Issuer, anchored(id.IssuerRegexp), id.Subject, anchored(id.SubjectRegexp))
		if err != nil {
			return nil, fmt.Errorf("%s.keyless[%d]: %w", name, i, err)
		}
		m.identities = append(m.identities, ci)
	}
	rootPath := r.TrustedRoot
	if rootPath == "" {
		rootPath = l.defaultRoot
	}
	if rootPath != "" {
		tr, err := l.trustedRoot(rootPath)
		if err != nil {
			return nil, fmt.Errorf("%s.trustedRoot: %w", name, err)
		}
		m.root = tr
	}
	if m.root == nil {
		switch {
		case len(r.Keyless) > 0:
			return nil, fmt.Errorf("%s: keyless identities need a trusted root (trustedRoot, or --trusted-root)", name)
		case r.RequireTlog:
			return nil, fmt.Errorf("%s: requireTransparencyLog needs a trusted root that names the log (trustedRoot, or --trusted-root)", name)
		case r.RequireTimestamp:
			return nil, fmt.Errorf("%s: requireTimestamp needs a trusted root that names the timestamp authority (trustedRoot, or --trusted-root)", name)
		}
	}
	return m, nil
}

// key loads one public key, written inline as PEM or as the path of a PEM file.
func (l *loader) key(spec string) (trustedKey, error) {
	spec = strings.TrimSpace(spec)
	data, source := []byte(spec), "inline"
	if !strings.HasPrefix(spec, "-----BEGIN") {
		path := l.path(spec)
		b, err := readBounded(path, maxKeyFileBytes)
		if err != nil {
			return trustedKey{}, err
		}
		data, source = b, spec
	}
	pub, err := parsePublicKey(data)
	if err != nil {
		if source != "inline" {
			return trustedKey{}, fmt.Errorf("%s: %w", source, err)
		}
		return trustedKey{}, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return trustedKey{}, fmt.Errorf("%s: %w", source, err)
	}
	verifier, err := signature.LoadVerifier(pub, hashFor(pub))
	if err != nil {
		return trustedKey{}, fmt.Errorf("%s: %w", source, err)
	}
	// A key has no validity period of its own; the bundle's key hint is ignored because
	// the key being tried is the one the rule names.
	expiring := root.NewExpiringKey(verifier, time.Time{}, time.Time{})
	material := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return expiring, nil
	})
	sum := sha256.Sum256(der)
	return trustedKey{fingerprint: "sha256:" + hex.EncodeToString(sum[:]), source: source, material: material}, nil
}

// parsePublicKey reads the first PEM block: a PKIX "PUBLIC KEY" (what cosign writes).
func parsePublicKey(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block: want a PEM public key (-----BEGIN PUBLIC KEY-----)")
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("PEM block is %q, want \"PUBLIC KEY\"", block.Type)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing public key: %w", err)
	}
	switch pub.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		return pub, nil
	default:
		return nil, fmt.Errorf("unsupported public key type %T", pub)
	}
}

// hashFor is the hash a key signs with in Sigstore's algorithm registry.
func hashFor(pub crypto.PublicKey) crypto.Hash {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P384():
			return crypto.SHA384
		case elliptic.P521():
			return crypto.SHA512
		}
	case ed25519.PublicKey:
		return crypto.Hash(0)
	}
	return crypto.SHA256
}

// trustedRoot loads a trusted_root.json once per path.
func (l *loader) trustedRoot(spec string) (*root.TrustedRoot, error) {
	path := l.path(spec)
	if tr, ok := l.roots[path]; ok {
		return tr, nil
	}
	data, err := readBounded(path, maxTrustedRootFileBytes)
	if err != nil {
		return nil, err
	}
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: not a Sigstore trusted root: %w", spec, err)
	}
	if l.roots == nil {
		l.roots = map[string]*root.TrustedRoot{}
	}
	l.roots[path] = tr
	return tr, nil
}

func (l *loader) path(p string) string {
	if filepath.IsAbs(p) || l.baseDir == "" {
		return p
	}
	return filepath.Join(l.baseDir, p)
}

// readBounded reads a whole file that must not be larger than limit.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

package sign

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// CosignSignPredicate is the in-toto predicate type cosign 3 signs images with when it
// writes Sigstore bundles: a DSSE statement about the image digest that says only "signed".
const CosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

// Policy says which images must be signed and by whom. It is the signatures: section of
// Moat's config file. Rules are tried in order; the first whose images match applies.
type Policy struct {
	Rules []Rule `json:"rules" yaml:"rules"`
}

// Rule is one group of images and the signatures they need. A signature passes when it
// verifies with one of the Keys or comes from one of the Keyless identities.
type Rule struct {
	// Images are glob patterns on the image name without tag or digest, written as
	// registry/repository ("registry.example.com/team/*"). Docker Hub names may be short
	// ("nginx" is docker.io/library/nginx). '*' and '?' stop at '/'; '**' crosses it.
	Images []string `json:"images" yaml:"images"`
	// Keys are PEM public keys, each inline or the path of a PEM file (relative to
	// Options.BaseDir): keyed signatures.
	Keys []string `json:"keys,omitempty" yaml:"keys,omitempty"`
	// Keyless are the certificate identities (OIDC issuer and subject) of keyless
	// signatures. They need a trusted root.
	Keyless []Identity `json:"keyless,omitempty" yaml:"keyless,omitempty"`
	// TrustedRoot is the path of a trusted_root.json (Sigstore's format): the Fulcio
	// certificate authorities, Rekor logs and timestamp authorities to trust. Empty means
	// Options.TrustedRoot. Verification is offline: the file is never refreshed.
	TrustedRoot string `json:"trustedRoot,omitempty" yaml:"trustedRoot,omitempty"`
	// RequireTlog asks that a signature be in a transparency log of the trusted root.
	RequireTlog bool `json:"requireTransparencyLog,omitempty" yaml:"requireTransparencyLog,omitempty"`
	// RequireTimestamp asks for an RFC 3161 timestamp from a timestamp authority of the
	// trusted root.
	RequireTimestamp bool `json:"requireTimestamp,omitempty" yaml:"requireTimestamp,omitempty"`
	// PredicateTypes are the in-toto predicate types a DSSE bundle may carry and still
	// count as a signature of the image. Empty means cosign's signing predicate only, so
	// that an SBOM or provenance attestation is not taken for an approval.
	PredicateTypes []string `json:"predicateTypes,omitempty" yaml:"predicateTypes,omitempty"`
}

// Identity is a keyless signer: the OIDC issuer and the subject (the certificate's
// subject alternative name: an e-mail, a workflow URI) of its certificate, each exact or
// a regular expression. Regular expressions must match the whole value.
type Identity struct {
	Issuer        string `json:"issuer,omitempty" yaml:"issuer,omitempty"`
	IssuerRegexp  string `json:"issuerRegexp,omitempty" yaml:"issuerRegexp,omitempty"`
	Subject       string `json:"subject,omitempty" yaml:"subject,omitempty"`
	SubjectRegexp string `json:"subjectRegexp,omitempty" yaml:"subjectRegexp,omitempty"`
}

// String describes the identity as a person would read it in a reason.
func (id Identity) String() string {
	issuer, subject := fmt.Sprintf("%q", id.Issuer), fmt.Sprintf("%q", id.Subject)
	if id.IssuerRegexp != "" {
		issuer = "matching " + fmt.Sprintf("%q", id.IssuerRegexp)
	}
	if id.SubjectRegexp != "" {
		subject = "matching " + fmt.Sprintf("%q", id.SubjectRegexp)
	}
	return "issuer " + issuer + " subject " + subject
}

// RuleFor returns the first rule whose images match ref (a reference as a pod spec
// writes it: tag and digest are ignored), or nil when no rule does: no signature is
// required.
func (p *Policy) RuleFor(ref string) *Rule {
	if p == nil {
		return nil
	}
	name := ImageName(ref)
	for i := range p.Rules {
		if p.Rules[i].Matches(name) {
			return &p.Rules[i]
		}
	}
	return nil
}

// Matches reports whether the image name (as ImageName gives it) is one of the rule's.
func (r *Rule) Matches(name string) bool {
	for _, pattern := range r.Images {
		if globMatch(normalisePattern(pattern), name) {
			return true
		}
	}
	return false
}

// Validate checks what can be checked without reading files: patterns, identities and
// regular expressions. Errors name the field ("rules[1].keyless[0].subjectRegexp").
func (p *Policy) Validate() error {
	var errs []error
	for i := range p.Rules {
		for _, e := range p.Rules[i].validate(fmt.Sprintf("rules[%d]", i)) {
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

// fieldError is a problem of one field of the policy.
type fieldError struct {
	Field, Msg string
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Msg }

func (r *Rule) validate(field string) []*fieldError {
	var errs []*fieldError
	bad := func(f, format string, args ...any) {
		errs = append(errs, &fieldError{Field: f, Msg: fmt.Sprintf(format, args...)})
	}
	if len(r.Images) == 0 {
		bad(field+".images", "names no image pattern")
	}
	for j, pattern := range r.Images {
		if err := checkPattern(pattern); err != nil {
			bad(fmt.Sprintf("%s.images[%d]", field, j), "%v", err)
		}
	}
	if len(r.Keys) == 0 && len(r.Keyless) == 0 {
		bad(field, "names no keys and no keyless identities: no signature could pass")
	}
	for j, key := range r.Keys {
		if strings.TrimSpace(key) == "" {
			bad(fmt.Sprintf("%s.keys[%d]", field, j), "is empty")
		}
	}
	for j, id := range r.Keyless {
		f := fmt.Sprintf("%s.keyless[%d]", field, j)
		pair := func(name, exact, re string) {
			switch {
			case exact == "" && re == "":
				bad(f, "needs %s or %sRegexp", name, name)
			case exact != "" && re != "":
				bad(f, "has both %s and %sRegexp; keep one", name, name)
			case re != "":
				if _, err := regexp.Compile(anchored(re)); err != nil {
					bad(f+"."+name+"Regexp", "%v", err)
				}
			}
		}
		pair("issuer", id.Issuer, id.IssuerRegexp)
		pair("subject", id.Subject, id.SubjectRegexp)
	}
	return errs
}

// anchored makes a regular expression match whole values only, so that
// "https://github.com/org/.*" cannot be met by "https://evil.example/?https://github.com/org/x".
func anchored(re string) string {
	if re == "" {
		return ""
	}
	return "^(?:" + re + ")$"
}

// ImageName is the image's name without tag or digest, with the registry written out
// ("nginx:1.27" is "docker.io/library/nginx"): what rule patterns are matched against.
func ImageName(ref string) string {
	ref = strings.TrimSpace(ref)
	if at := strings.IndexByte(ref, '@'); at >= 0 {
		ref = ref[:at]
	}
	if colon := strings.LastIndexByte(ref, ':'); colon > strings.LastIndexByte(ref, '/') {
		ref = ref[:colon]
	}
	return normaliseName(ref)
}

// normaliseName writes the registry of a name out: Docker Hub's short names get
// docker.io (and library/ for official images), and Docker Hub's other host names are
// written docker.io.
func normaliseName(name string) string {
	first, rest, hasSlash := strings.Cut(name, "/")
	if !hasSlash || !isRegistry(first) {
		if !strings.Contains(name, "/") {
			name = "library/" + name
		}
		return "docker.io/" + name
	}
	host := strings.ToLower(first)
	if host == "index.docker.io" || host == "registry-1.docker.io" {
		host = "docker.io"
	}
	if host == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	return host + "/" + rest
}

// isRegistry tells a registry host from a Docker Hub namespace, as Docker does.
func isRegistry(segment string) bool {
	return strings.ContainsAny(segment, ".:") || segment == "localhost"
}

// normalisePattern writes a pattern's registry out as normaliseName does a name, when
// its first segment is literal; a pattern that starts with a wildcard is kept as is.
func normalisePattern(pattern string) string {
	pattern = strings.TrimSpace(pattern)
	first, _, _ := strings.Cut(pattern, "/")
	if strings.ContainsAny(first, "*?") {
		return pattern
	}
	return normaliseName(pattern)
}

// checkPattern rejects patterns that cannot match any name.
func checkPattern(pattern string) error {
	p := strings.TrimSpace(pattern)
	switch {
	case p == "":
		return errors.New("is empty")
	case strings.ContainsAny(p, "@"):
		return fmt.Errorf("%q has a digest; patterns match names without tag or digest", pattern)
	case !strings.Contains(p, "/") && strings.ContainsAny(p, "*?") && p != "**":
		return fmt.Errorf("%q has no registry part and so matches no image name; write \"**\" for every image or \"docker.io/library/*\" for Docker Hub's official images", pattern)
	}
	if colon := strings.LastIndexByte(p, ':'); colon > strings.LastIndexByte(p, '/') {
		return fmt.Errorf("%q has a tag; patterns match names without tag or digest", pattern)
	}
	return nil
}

// globMatch matches name against a pattern where '*' and '?' match within one path
// segment and '**' matches across segments. It runs in time proportional to
// len(pattern)*len(name), whatever the pattern.
func globMatch(pattern, name string) bool {
	tokens := globTokens(pattern)
	// next[j] is whether tokens[t+1:] match name[j:]; cur is being filled for tokens[t:].
	next := make([]bool, len(name)+1)
	cur := make([]bool, len(name)+1)
	next[len(name)] = true
	for t := len(tokens) - 1; t >= 0; t-- {
		tok := tokens[t]
		for j := len(name); j >= 0; j-- {
			more := j < len(name)
			switch tok {
			case tokStar:
				cur[j] = next[j] || (more && name[j] != '/' && cur[j+1])
			case tokGlobstar:
				cur[j] = next[j] || (more && cur[j+1])
			case tokAny:
				cur[j] = more && name[j] != '/' && next[j+1]
			default:
				cur[j] = more && rune(name[j]) == tok && next[j+1]
			}
		}
		next, cur = cur, next
	}
	return next[0]
}

// Glob tokens: a literal byte, or one of these (outside the byte range).
const (
	tokStar     rune = -1 - iota // *
	tokGlobstar                  // **
	tokAny                       // ?
)

func globTokens(pattern string) []rune {
	tokens := make([]rune, 0, len(pattern))
	for i := 0; i < len(pattern); i++ {
		switch {
		case strings.HasPrefix(pattern[i:], "**"):
			for i+1 < len(pattern) && pattern[i+1] == '*' {
				i++
			}
			tokens = append(tokens, tokGlobstar)
		case pattern[i] == '*':
			tokens = append(tokens, tokStar)
		case pattern[i] == '?':
			tokens = append(tokens, tokAny)
		default:
			tokens = append(tokens, rune(pattern[i]))
		}
	}
	return tokens
}

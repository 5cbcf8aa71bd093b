package secrets

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Kind names a kind of credential in words a message can use: "a GitHub token".
type Kind string

const (
	AWSAccessKeyID Kind = "AWS access key ID"
	AWSSecretKey   Kind = "AWS secret access key"
	PrivateKey     Kind = "private key"
	GitHubToken    Kind = "GitHub token"
	GitLabToken    Kind = "GitLab personal access token"
	SlackToken     Kind = "Slack token"
	SlackWebhook   Kind = "Slack webhook URL"
	StripeKey      Kind = "Stripe live secret key"
	GoogleAPIKey   Kind = "Google API key"
	JWT            Kind = "JSON Web Token"
	URLPassword    Kind = "password in a URL"
	ConnPassword   Kind = "password in a connection string"
	AuthHeader     Kind = "HTTP Authorization credential"
	// HighEntropy is a guess from randomness alone.
	HighEntropy Kind = "high-entropy string"
	// NamedCredential is a literal held under a credential-like name (see Check).
	NamedCredential Kind = "literal credential"
)

// maxScannedLength bounds the text scanned: longer texts are scanned up to it.
const maxScannedLength = 1 << 20

// Match is one credential found in a value.
type Match struct {
	Kind Kind
	// Detail refines the kind: the PEM block type ("RSA PRIVATE KEY"), the token type
	// ("personal access token"); empty when there is nothing to add.
	Detail string
	// Value is the credential itself. Never print it: use Hint.
	Value string
	// Offset is the byte offset of Value in the text scanned.
	Offset int
}

// Describe names the match for a message: "a GitHub personal access token".
func (m Match) Describe() string {
	what := string(m.Kind)
	if m.Detail != "" {
		what = m.Detail
	}
	return article(what) + " " + what
}

// Hint is what messages may print of the value: "(redacted)", never a part of it.
func (m Match) Hint() string { return Redact(m.Value) }

func article(s string) string {
	if s == "" {
		return "a"
	}
	if len(s) >= 2 && unicode.IsUpper(rune(s[0])) && unicode.IsUpper(rune(s[1])) {
		// An acronym is read letter by letter: an RSA key, an HTTP header, a URL.
		if strings.ContainsRune("AEFHILMNORSX", rune(s[0])) {
			return "an"
		}
		return "a"
	}
	if strings.ContainsRune("aeiouAEIOU", rune(s[0])) {
		return "an"
	}
	return "a"
}

// Redact is what a message may show of a secret: nothing. Neither its first characters
// nor its length: a prefix narrows a guess, and a length says which guesses to try (a
// 23-character password is not an 8-character one). The kind of credential, named by
// Match.Describe (a GitHub personal access token, an AWS access key ID), is what tells a
// person which value to look for; the field path tells them where.
func Redact(string) string { return "(redacted)" }

// pattern is a credential format recognised anywhere in a text.
type pattern struct {
	kind Kind
	// expr is the regular expression, re its compiled form (see compiled).
	expr string
	re   *regexp.Regexp
	// group is the submatch that holds the credential (0: the whole match).
	group int
	// check, when set, confirms a candidate (a JWT's header is JSON) and may name it.
	check func(value string, sub []string) (detail string, ok bool)
	// hints are strings one of which every match contains; a text with none of them
	// is not searched. fold says they are compared in lower case.
	hints []string
	fold  bool
	// needs are bytes every match holds besides its hint, not next to it: the "@" of
	// a password in a URL. A text without them is not searched either.
	needs string
	// hintBytes are the bytes of each hint and the needs, filled in by compiled: a text
	// that lacks some byte of every hint cannot hold one, which is cheaper to see than
	// to search.
	hintBytes []byteSet
	// minLen is the length of the shortest text re matches (minLength), filled in by
	// compiled.
	minLen int
}

// byteSet is a set of bytes.
type byteSet [4]uint64

func bytesOf(s string) byteSet {
	var b byteSet
	for i := 0; i < len(s); i++ {
		b[s[i]>>6] |= 1 << (s[i] & 63)
	}
	return b
}

// contains reports whether every byte of sub is in b.
func (b *byteSet) contains(sub *byteSet) bool {
	return b[0]&sub[0] == sub[0] && b[1]&sub[1] == sub[1] && b[2]&sub[2] == sub[2] && b[3]&sub[3] == sub[3]
}

// lowerCaseBytes is what bytesOf(strings.ToLower(text)) is when bytesOf(text) is b, or
// false when the text has bytes outside ASCII, whose lower case may be other bytes.
// Scan needs the lower case of a text only when a pattern that folds may match it.
func lowerCaseBytes(b byteSet) (byteSet, bool) {
	if b[2]|b[3] != 0 {
		return byteSet{}, false
	}
	// 'A'..'Z' are bits 1..26 of the second word, 'a'..'z' bits 33..58.
	const upper = (1<<26 - 1) << 1
	b[1] = b[1]&^upper | (b[1]&upper)<<32
	return b, true
}

// patternSet is the patterns compiled, and the least minLen of them: a shorter text
// holds none.
type patternSet struct {
	patterns      []pattern
	shortestMatch int
}

// compiled compiles patternTable once. It is started in the background by init: the
// regular expressions, with their long counted repetitions, take 5-7 ms to compile, a
// tenth of the start-up of a small scan, and Scan is first called well after that.
var compiled = sync.OnceValue(func() *patternSet {
	set := &patternSet{patterns: slices.Clone(patternTable)}
	for i := range set.patterns {
		p := &set.patterns[i]
		p.re = regexp.MustCompile(p.expr)
		for _, h := range p.hints {
			p.hintBytes = append(p.hintBytes, bytesOf(h+p.needs))
		}
		p.minLen = minLength(p.expr)
		if i == 0 || p.minLen < set.shortestMatch {
			set.shortestMatch = p.minLen
		}
	}
	return set
})

func init() { go compiled() }

// mayHold reports whether the bytes of a text (of its lower case when the pattern
// folds) include all those of one of the pattern's hints: false means mayMatch is false.
func (p *pattern) mayHold(text, lower *byteSet) bool {
	in := text
	if p.fold {
		in = lower
	}
	for i := range p.hintBytes {
		if in.contains(&p.hintBytes[i]) {
			return true
		}
	}
	return len(p.hints) == 0
}

// notAlnum is the boundary around tokens: start or end of text, or a character that
// cannot be part of the token.
const notAlnum = `(?:^|[^0-9A-Za-z_\-])`
const notAlnumEnd = `(?:$|[^0-9A-Za-z_\-])`

// patternTable is the formats Scan recognises: these, then the catalogue's
// (catalogue.go). Scan reads them compiled (compiled).
var patternTable = append([]pattern{
	{kind: PrivateKey, hints: []string{"PRIVATE KEY"}, expr: `-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----`, group: 0,
		check: func(_ string, sub []string) (string, bool) { return pemDetail(sub[1]), true }},
	{kind: AWSAccessKeyID, hints: []string{"AKIA", "ASIA", "ABIA", "ACCA", "A3T"}, expr: notAlnum + `((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})` + notAlnumEnd, group: 1},
	{kind: AWSSecretKey, hints: []string{"secret"}, fold: true, expr: `(?i)(?:aws_?secret_?(?:access_?)?key|secret_?access_?key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])`, group: 1},
	{kind: GitHubToken, hints: []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, expr: notAlnum + `((gh[pousr])_[A-Za-z0-9]{36,255})` + notAlnumEnd, group: 1,
		check: func(_ string, sub []string) (string, bool) { return githubDetail[sub[2]], true }},
	{kind: GitHubToken, hints: []string{"github_pat_"}, expr: notAlnum + `(github_pat_[A-Za-z0-9_]{60,255})` + notAlnumEnd, group: 1,
		check: func(string, []string) (string, bool) { return "GitHub fine-grained personal access token", true }},
	{kind: GitLabToken, hints: []string{"glpat-"}, expr: notAlnum + `(glpat-[0-9A-Za-z_\-.]{20,})`, group: 1},
	{kind: SlackToken, hints: []string{"xox"}, expr: notAlnum + `(xox[abprs]-[0-9A-Za-z\-]{10,})`, group: 1},
	{kind: SlackWebhook, hints: []string{"hooks.slack.com"}, expr: `https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_+/\-]{20,}`, group: 0},
	{kind: StripeKey, hints: []string{"_live_", "_prod_"}, expr: notAlnum + `((?:sk|rk)_(?:live|prod)_[0-9A-Za-z]{20,})` + notAlnumEnd, group: 1},
	{kind: GoogleAPIKey, hints: []string{"AIza"}, expr: notAlnum + `(AIza[0-9A-Za-z_\-]{35})` + notAlnumEnd, group: 1},
	{kind: JWT, hints: []string{".ey", ".ew"}, expr: notAlnum + `(e[wy][A-Za-z0-9_\-]{8,}\.e[wy][A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*)`, group: 1,
		check: func(v string, _ []string) (string, bool) { return "", isJWT(v) }},
	{kind: URLPassword, hints: []string{"://"}, needs: "@", expr: `\b([A-Za-z][A-Za-z0-9+.\-]{1,20})://([^\s/@:'"]*):([^\s/@'"]+)@[^\s/'"?#]+`, group: 3,
		check: func(_ string, sub []string) (string, bool) {
			if !plausibleSecret(sub[3]) {
				return "", false
			}
			return fmt.Sprintf("password in a %s URL", sub[1]), true
		}},
	{kind: ConnPassword, hints: []string{"password", "pwd"}, fold: true, expr: `(?i)(?:^|[;\s"'<])(?:password|pwd)\s*=\s*["']?([^;\s"'<>]+)`, group: 1,
		check: func(v string, _ []string) (string, bool) { return "", plausibleSecret(v) }},
	{kind: AuthHeader, hints: []string{"authorization"}, fold: true, expr: `(?i)authorization["']?\s*:\s*["']?(?:bearer|basic|token)\s+([A-Za-z0-9._~+/=\-]{8,})`, group: 1,
		check: func(v string, _ []string) (string, bool) { return "", plausibleSecret(v) }},
}, cataloguePatterns()...)

// mayMatch reports whether a text holds one of the pattern's hints and its needs.
func (p *pattern) mayMatch(text, lower string) bool {
	in := text
	if p.fold {
		in = lower
	}
	for i := 0; i < len(p.needs); i++ {
		if strings.IndexByte(in, p.needs[i]) < 0 {
			return false
		}
	}
	for _, h := range p.hints {
		if strings.Contains(in, h) {
			return true
		}
	}
	return len(p.hints) == 0
}

var githubDetail = map[string]string{
	"ghp": "GitHub personal access token",
	"gho": "GitHub OAuth access token",
	"ghu": "GitHub user-to-server token",
	"ghs": "GitHub server-to-server token",
	"ghr": "GitHub refresh token",
}

func pemDetail(block string) string {
	switch block {
	case "PRIVATE KEY":
		return "PKCS#8 private key"
	case "ENCRYPTED PRIVATE KEY":
		return "encrypted private key"
	case "PGP PRIVATE KEY BLOCK":
		return "PGP private key"
	}
	return strings.TrimSuffix(block, " PRIVATE KEY") + " private key"
}

// isJWT reports a compact JWS: a base64url JSON header naming an algorithm and a
// base64url JSON payload.
func isJWT(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return false
	}
	var header map[string]any
	if !decodeJSONPart(parts[0], &header) {
		return false
	}
	if _, ok := header["alg"]; !ok {
		return false
	}
	var payload any
	return decodeJSONPart(parts[1], &payload)
}

func decodeJSONPart(s string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// Scan finds the credentials whose format is recognisable anywhere in a text: tokens
// by prefix, PEM private keys, JWTs, passwords in URLs, connection strings and
// Authorization headers. It does not guess from randomness: a text may hold hashes and
// identifiers; use Detect for one value.
func Scan(text string) []Match {
	if len(text) > maxScannedLength {
		text = text[:maxScannedLength]
	}
	set := compiled()
	if len(text) < set.shortestMatch {
		return nil
	}
	var out []Match
	var taken *claims // bytes already reported, made at the first match
	// The lower case of the text is made only for a pattern that folds and may match
	// by its bytes; for ASCII text its bytes are known without it.
	textBytes := bytesOf(text)
	lowerBytes, lowerKnown := lowerCaseBytes(textBytes)
	lower, lowered := "", false
	for i := range set.patterns {
		p := &set.patterns[i]
		if len(text) < p.minLen {
			continue
		}
		if p.fold && !lowerKnown {
			lower, lowered = strings.ToLower(text), true
			lowerBytes, lowerKnown = bytesOf(lower), true
		}
		if !p.mayHold(&textBytes, &lowerBytes) {
			continue
		}
		if p.fold && !lowered {
			lower, lowered = strings.ToLower(text), true
		}
		if !p.mayMatch(text, lower) {
			continue
		}
		if taken == nil {
			taken = newClaims(len(text))
		}
		for _, loc := range p.re.FindAllStringSubmatchIndex(text, -1) {
			start, end := loc[2*p.group], loc[2*p.group+1]
			if start < 0 {
				continue
			}
			if taken.overlaps(start, end) {
				continue
			}
			value := text[start:end]
			m := Match{Kind: p.kind, Value: value, Offset: start}
			if p.check != nil {
				sub := make([]string, len(loc)/2)
				for i := range sub {
					if loc[2*i] >= 0 {
						sub[i] = text[loc[2*i]:loc[2*i+1]]
					}
				}
				detail, ok := p.check(value, sub)
				if !ok {
					continue
				}
				m.Detail = detail
			}
			if p.kind == PrivateKey {
				m.Value = pemBlock(text[start:])
			}
			taken.claim(start, start+len(m.Value))
			out = append(out, m)
		}
	}
	sortByOffset(out)
	return out
}

// pemBlock returns the PEM block that starts text, up to its END line, or the header
// alone when the block is cut short.
func pemBlock(text string) string {
	i := strings.Index(text, "-----END ")
	if i < 0 {
		if j := strings.Index(text[5:], "-----"); j >= 0 {
			return text[:j+10]
		}
		return text
	}
	j := strings.Index(text[i+9:], "-----")
	if j < 0 {
		return text
	}
	return text[:i+9+j+5]
}

func sortByOffset(ms []Match) {
	if len(ms) < 2 {
		return
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Offset < ms[j].Offset })
}

// Detect classifies one value found under a name (an environment variable, a key, a
// flag; the name may be empty). It reports the first credential recognised by format
// (Scan), then an AWS secret access key under an AWS-like name, then a high-entropy
// string. It does not judge the name alone: see Check.
func Detect(name, value string) (Match, bool) {
	if ms := Scan(value); len(ms) > 0 {
		return ms[0], true
	}
	if m, ok := authValue(value); ok {
		return m, true
	}
	v := strings.TrimSpace(value)
	if awsSecretRE.MatchString(v) && isAWSSecretName(name) {
		return Match{Kind: AWSSecretKey, Value: v}, true
	}
	if highEntropy(v) {
		return Match{Kind: HighEntropy, Value: v}, true
	}
	return Match{}, false
}

// Check is Detect and, failing it, the name test (see Named). A random-looking value
// under a credential name is the named credential: the name and the randomness agree,
// which is surer than randomness alone (reported as medium).
func Check(name, value string) (Match, bool) {
	m, ok := Detect(name, value)
	if ok && m.Kind != HighEntropy {
		return m, true
	}
	// Detect tried authValue before any guess from randomness, and it failed.
	if n, named := namedLiteral(name, value); named {
		return n, true
	}
	return m, ok
}

// Named is the name test: a literal, non-placeholder value under a credential name
// (IsCredentialName: DB_PASSWORD, API_KEY), or a value that looks generated under a
// key name (isKeyName and looksGenerated: AZURE_STORAGE_KEY, OCI_CLI_KEY_CONTENT). A
// whole value that is an HTTP Authorization credential ("Bearer ...") counts under
// any name (AUTH_HEADER).
func Named(name, value string) (Match, bool) {
	if m, ok := authValue(value); ok {
		return m, true
	}
	return namedLiteral(name, value)
}

// namedLiteral is Named without the Authorization value.
func namedLiteral(name, value string) (Match, bool) {
	var buf [16]string // the words of most names, without allocating a list
	w := appendWords(buf[:0], name)
	if credentialWords(w) && LiteralSecret(value) || keyNameWords(w) && looksGenerated(value) {
		return Match{Kind: NamedCredential, Value: strings.Trim(strings.TrimSpace(value), `"'`)}, true
	}
	return Match{}, false
}

// authValueRE is a value that is an HTTP Authorization credential on its own: a
// scheme and its credential, as gitleaks' curl-auth-header rule (v8.30.0) reads them
// (Basic with base64; Bearer, Token or Api-Token with 8 or more token characters).
var authValueRE = regexp.MustCompile(`^(?i)(bearer|token|api-token|basic)[ \t]+([A-Za-z0-9._~+/=@\-]{8,})$`)

// authValue reports a whole value that is "Bearer <token>", "Token <token>" or
// "Basic <base64 of user:password>", whatever name holds it: AUTH_HEADER,
// X_API_KEY_HEADER. The token must be plausible (not a placeholder or a reference)
// and not too regular (2.75 bits of entropy a character, curl-auth-header's bound);
// a Basic credential must decode to user:password.
func authValue(value string) (Match, bool) {
	t := strings.Trim(strings.TrimSpace(value), `"'`)
	if !mayBeAuthValue(t) {
		return Match{}, false
	}
	m := authValueRE.FindStringSubmatch(t)
	if m == nil || !plausibleSecret(m[2]) || entropy(m[2]) < 2.75 {
		return Match{}, false
	}
	if strings.EqualFold(m[1], "basic") {
		b, err := base64.StdEncoding.DecodeString(m[2])
		if err != nil || !utf8.Valid(b) || !strings.Contains(string(b), ":") {
			return Match{}, false
		}
	}
	return Match{Kind: AuthHeader, Value: m[2], Offset: strings.Index(value, m[2])}, true
}

// mayBeAuthValue is false for a text authValueRE cannot match, cheaply: a match starts
// with the first letter of a scheme (b, t or a in either case; no other character
// folds to them) and holds a space or a tab.
func mayBeAuthValue(t string) bool {
	if t == "" {
		return false
	}
	switch t[0] {
	case 'b', 'B', 't', 'T', 'a', 'A':
		return strings.ContainsAny(t, " \t")
	}
	return false
}

var awsSecretRE = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)

func isAWSSecretName(name string) bool {
	w := words(name)
	return has(w, "secret") && (has(w, "aws") || has(w, "access"))
}

// Shannon entropy of a string in bits per character.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]int{}
	n := 0
	for _, r := range s {
		counts[r]++
		n++
	}
	h := 0.0
	for _, c := range counts {
		p := float64(c) / float64(n)
		h -= p * math.Log2(p)
	}
	return h
}

const (
	minEntropyLength = 20
	maxEntropyLength = 256 // longer blobs are data: certificates, bundles, encoded files
)

var (
	uuidRE    = guard(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, lengthIn(36, 36))
	hexRE     = regexp.MustCompile(`^(?i)(?:0x)?[0-9a-f]+$`)
	digestRE  = guard(`(?i)\b(?:sha1|sha256|sha384|sha512|md5)[:=-][0-9a-f]{16,}`, holds(":=-"))
	tokenRE   = regexp.MustCompile(`^[A-Za-z0-9+/=_\-.~!@#$%^&*]+$`)
	base64RE  = regexp.MustCompile(`^[A-Za-z0-9+/]+={0,2}$`)
	dottedRE  = guard(`^[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$`, holds(".")) // hostnames, Java packages, versions
	kebabRE   = guard(`^[a-z0-9]+([\-_][a-z0-9]+)+$`, holds("-_"))       // resource and pod names
	versionRE = guard(`^v?\d+(\.\d+)+([\-+][0-9A-Za-z.\-]+)?$`, holds("."))
)

// highEntropy reports a value that looks like a random token: one word of 20 to 256
// characters mixing upper case, lower case and digits, whose Shannon entropy is close
// to the most its length and alphabet allow. UUIDs, hexadecimal strings (digests,
// commit IDs, checksums), hostnames, versions, image references and placeholders are
// not secrets by content. A base64 value that decodes to text is judged on that text.
func highEntropy(v string) bool {
	if len(v) < minEntropyLength || len(v) > maxEntropyLength {
		return false
	}
	if !tokenRE.MatchString(v) || uuidRE.MatchString(v) || hexRE.MatchString(v) ||
		digestRE.MatchString(v) || dottedRE.MatchString(v) || kebabRE.MatchString(v) ||
		versionRE.MatchString(v) || isPlaceholder(v) || isReference(v) {
		return false
	}
	if base64RE.MatchString(v) && len(v)%4 == 0 {
		if b, err := base64.StdEncoding.DecodeString(v); err == nil && utf8.Valid(b) && printable(string(b)) {
			text := string(b)
			if len(Scan(text)) > 0 {
				return true
			}
			return highEntropy(strings.TrimSpace(text))
		}
	}
	var upper, lower, digit bool
	for _, r := range v {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	if !upper || !lower || !digit || wordy(v) {
		return false
	}
	// The most a string of n characters over an alphabet of about 64 can reach is
	// log2(min(n, 64)) bits per character; random tokens come within 15% of it.
	n := float64(utf8.RuneCountInString(v))
	limit := math.Log2(math.Min(n, 48))
	return entropy(v) >= 0.8*limit
}

// wordRE is a word of an identifier: "Cluster", "runtime", "Version".
var wordRE = regexp.MustCompile(`[A-Z]?[a-z]{3,}`)

// wordy reports an identifier made of words, "K8sCluster2024ProductionEU1" or
// "NodeJS20xRuntimeVersion": at least 40% of its characters are in words of four or
// more letters, which random tokens seldom have.
func wordy(v string) bool {
	n := 0
	for _, w := range wordRE.FindAllString(v, -1) {
		if len(w) >= 4 {
			n += len(w)
		}
	}
	return float64(n) >= 0.4*float64(len(v))
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// placeholders are values that stand for a secret rather than being one.
var placeholders = map[string]bool{
	"changeme": true, "change-me": true, "change_me": true, "changeit": true,
	"password": true, "passwd": true, "secret": true, "token": true, "apikey": true,
	"api_key": true, "api-key": true, "example": true, "dummy": true, "test": true,
	"testing": true, "todo": true, "tbd": true, "fixme": true, "none": true, "null": true,
	"nil": true, "undefined": true, "empty": true, "redacted": true, "placeholder": true,
	"replaceme": true, "replace-me": true, "replace_me": true, "notset": true,
	"not-set": true, "not_set": true, "unset": true, "default": true, "sample": true,
	"secretpassword": true, "mypassword": true, "yourpassword": true, "your-password": true,
	"your_password": true, "supersecret": true, "insecure": true, "unused": true,
}

var placeholderParts = []string{"changeme", "change_me", "change-me", "replace_me", "replaceme",
	"replace-me", "your_", "your-", "redacted", "placeholder", "xxxx", "****", "<", ">"}

// isPlaceholder reports a value that stands in for a secret: "changeme", "<redacted>",
// "xxx", "****", "your-token-here", a run of one character.
func isPlaceholder(v string) bool {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(v), `"'`))
	if l == "" || placeholders[l] {
		return true
	}
	for _, p := range placeholderParts {
		if strings.Contains(l, p) {
			return true
		}
	}
	same := true
	for i := 1; i < len(l); i++ {
		if l[i] != l[0] {
			same = false
			break
		}
	}
	return same
}

var (
	refRE = guard(`^(?:\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|%\{[^}]*\}|#\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%)$`, startsWithOneOf("${%#"))
	// secret manager and vault references: vault:secret/data/db#password,
	// ref+vault://..., arn:aws:secretsmanager:..., projects/p/secrets/s/versions/1.
	managerRE = guard(`(?i)^(?:vault:|ref\+|arn:aws[a-z\-]*:|sm://|gcp:|gcpsm:|azkv:|akv:|awssm:|op://|secretsmanager:|ssm:|keyvault:|bw:|doppler:|infisical:)`, holds(":+"))
	pathRE    = guard(`^(?:[~.]{0,2}/|[A-Za-z]:\\)|^[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-{}]+)+/?$`, holds("/\\"))
	numberRE  = guard(`^[0-9]{1,5}$`, lengthIn(1, 5))
	schemeRE  = guard(`^[A-Za-z][A-Za-z0-9+.\-]*://`, holds(":"))
)

// isReference reports a value that points to a secret held elsewhere: an environment
// expansion ("$(DB_PASSWORD)", "${TOKEN}"), a template, a secret manager reference.
func isReference(v string) bool {
	v = strings.TrimSpace(v)
	return refRE.MatchString(v) || managerRE.MatchString(v) ||
		strings.Contains(v, "${") || strings.Contains(v, "$(") || strings.Contains(v, "{{")
}

var booleans = map[string]bool{"true": true, "false": true, "yes": true, "no": true, "on": true,
	"off": true, "enabled": true, "disabled": true, "enable": true, "disable": true, "y": true, "n": true}

// plausibleSecret reports a value that could be a real secret: not empty, not a
// placeholder or a reference.
func plausibleSecret(v string) bool {
	v = strings.TrimSpace(v)
	return len(v) >= 3 && !isPlaceholder(v) && !isReference(v)
}

// LiteralSecret reports whether a value held under a credential-like name is a literal
// secret: not empty, a placeholder, a reference, a boolean, a small number, a file
// path, a URL without a password, or prose.
func LiteralSecret(v string) bool {
	v = strings.Trim(strings.TrimSpace(v), `"'`)
	if utf8.RuneCountInString(v) < 4 || !plausibleSecret(v) {
		return false
	}
	l := strings.ToLower(v)
	if booleans[l] || numberRE.MatchString(v) || pathRE.MatchString(v) || schemeRE.MatchString(v) {
		return false
	}
	if strings.ContainsAny(v, " \t\n") {
		// "Bearer abc..." is a credential; other text with spaces is prose or a command.
		f := strings.Fields(l)
		return len(f) == 2 && (f[0] == "bearer" || f[0] == "basic" || f[0] == "token") && len(f[1]) >= 8
	}
	return true
}

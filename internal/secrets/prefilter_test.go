package secrets

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The byte checks before kvLineRE, xmlElemRE and the JWT pattern never skip a text
// that the regular expression matches.
func TestPrefiltersKeepMatches(t *testing.T) {
	patterns := compiled().patterns
	jwt := patterns[0]
	for _, p := range patterns {
		if p.kind == JWT {
			jwt = p
		}
	}
	pieces := []string{"a", "Z", "_", "-", ".", "=", ":", " ", "\t", "<", ">", "/", "</", "ey", "ew", ".ey", "eyJhbGciOiJIUzI1NiJ9",
		"password", "key", "<key>", "</key>", "export ", "- ", "\"", "'", "[0]", "@", "x9", "ab12cd34ef"}
	r := rand.New(rand.NewPCG(5, 6))
	for range 200000 {
		var b strings.Builder
		for range 1 + r.IntN(14) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if kvLineRE.MatchString(s) && !strings.ContainsAny(s, "=:") {
			t.Fatalf("%q: key/value line without = or :", s)
		}
		if xmlElemRE.MatchString(s) && !strings.Contains(s, "</") {
			t.Fatalf("%q: element without </", s)
		}
		if jwt.re.MatchString(s) && !jwt.mayMatch(s, strings.ToLower(s)) {
			t.Fatalf("%q: JWT candidate without its hints", s)
		}
	}
}

// mayHold is false only where mayMatch is: every pattern's hints, in texts built from
// pieces of them.
func TestMayHoldImpliedByMayMatch(t *testing.T) {
	patterns := compiled().patterns
	var pieces []string
	for _, p := range patterns {
		for _, h := range p.hints {
			pieces = append(pieces, h, h[:len(h)/2], h[len(h)/2:], strings.ToUpper(h))
		}
	}
	pieces = append(pieces, " ", "=", "x", "Q")
	r := rand.New(rand.NewPCG(7, 8))
	for range 50000 {
		var b strings.Builder
		for range 1 + r.IntN(6) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		text := b.String()
		lower := strings.ToLower(text)
		tb, lb := bytesOf(text), bytesOf(lower)
		for i := range patterns {
			p := &patterns[i]
			if p.mayMatch(text, lower) && !p.mayHold(&tb, &lb) {
				t.Fatalf("%q: pattern %s (%v) may match but the byte check skips it", text, p.kind, p.hints)
			}
		}
	}
}

// randomText joins 1 to n pieces picked by r.
func randomText(r *rand.Rand, pieces []string, n int) string {
	var b strings.Builder
	for range 1 + r.IntN(n) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// A pattern's needs are in every text it matches: the password-in-URL pattern is not
// run on a text without "@".
func TestNeedsKeepMatches(t *testing.T) {
	pieces := []string{"postgres", "redis", "://", "//", ":", "@", "user", "p4ss", "host", ".svc", "/db", " ", "'", "\"", "?", "#", "A"}
	patterns := compiled().patterns
	r := rand.New(rand.NewPCG(9, 10))
	for range 100000 {
		text := randomText(r, pieces, 10)
		lower := strings.ToLower(text)
		tb, lb := bytesOf(text), bytesOf(lower)
		for i := range patterns {
			p := &patterns[i]
			if p.needs == "" || !p.re.MatchString(text) {
				continue
			}
			if !p.mayMatch(text, lower) || !p.mayHold(&tb, &lb) {
				t.Fatalf("%q: pattern %s matches, but its prefilter skips the text", text, p.kind)
			}
		}
	}
}

// lowerCaseBytes gives the bytes of an ASCII text's lower case without making it, and
// declines any other text.
func TestLowerCaseBytes(t *testing.T) {
	pieces := []string{"A", "Z", "a", "z", "M", "@", "[", "`", "{", "0", "9", "_", "-", " ", "\x7f", "\x00", "Password", "KEY"}
	r := rand.New(rand.NewPCG(11, 12))
	for range 20000 {
		text := randomText(r, pieces, 12)
		got, ok := lowerCaseBytes(bytesOf(text))
		if !ok || got != bytesOf(strings.ToLower(text)) {
			t.Fatalf("%q: lowerCaseBytes = %v, %v; want the bytes of its lower case", text, got, ok)
		}
	}
	for _, text := range []string{"café", "\u212Aey", "\u0130D", "\xff"} {
		if _, ok := lowerCaseBytes(bytesOf(text)); ok {
			t.Errorf("%q: lowerCaseBytes answers for a text outside ASCII", text)
		}
	}
}

// mayBeAuthValue is true of every text authValueRE matches, letters that fold to the
// schemes' (the Kelvin sign to k, the long s to s) included.
func TestAuthValuePrefilterKeepsMatches(t *testing.T) {
	pieces := []string{"bearer", "Bearer", "BEARER", "token", "Token", "to\u212Aen", "api-token", "basic", "ba\u017fic", "Ba", "x",
		" ", "\t", "  ", "abcdefgh", "FAKE0123", "=", "+/", "@", "\"", "'", "-"}
	r := rand.New(rand.NewPCG(13, 14))
	matched := 0
	for range 100000 {
		text := randomText(r, pieces, 5)
		if authValueRE.MatchString(text) {
			matched++
			if !mayBeAuthValue(text) {
				t.Fatalf("%q: authValueRE matches, but mayBeAuthValue skips it", text)
			}
		}
	}
	if matched == 0 {
		t.Fatal("no text matched: the pieces test nothing")
	}
}

// The ASCII path of appendWords splits a name as the general one does.
func TestWordsASCIIMatchesUnicode(t *testing.T) {
	pieces := []string{"DB", "db", "Password", "PASSWORD", "password", "API", "Key", "KEY", "_", "-", ".", "/", "2", "42", "x", "X",
		"oauth2", "aB", "Ab", " ", "$", "MySQL", "PWD"}
	r := rand.New(rand.NewPCG(15, 16))
	for range 50000 {
		name := randomText(r, pieces, 8)
		assertWordsAgree(t, name)
	}
}

func assertWordsAgree(t *testing.T, name string) {
	t.Helper()
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return // the general path alone
		}
	}
	segment := name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		segment = name[i+1:]
	}
	got, want := appendWords(nil, name), appendWordsUnicode(nil, segment)
	if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
		t.Fatalf("words(%q) = %q, the general path gives %q", name, got, want)
	}
}

// FuzzWords holds the ASCII path of appendWords to the general one on any name.
func FuzzWords(f *testing.F) {
	for _, s := range []string{"DB_PASSWORD", "dbPassword", "APIKey", "APIKEY", "spring.datasource.password", "example.com/db-password",
		"PASSWORD2", "X-Api-Key", "2024", "a1B2c3", "", "/", "ABCdef", "aWS_SECRET"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) { assertWordsAgree(t, name) })
}

// plainKey is the regular expression it replaced.
func TestPlainKey(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9_\-]+$`)
	for _, key := range []string{"", "password", "DB_PASSWORD", "db-password", "app.properties", "a/b", "a b", "ключ", "x\n", "-", "_", "Z9"} {
		if got, want := plainKey(key), re.MatchString(key); got != want {
			t.Errorf("plainKey(%q) = %v, want %v", key, got, want)
		}
	}
}

// Every guarded expression's test is true of each text the expression matches: texts
// built from pieces of what the expressions match, the letters that fold to ASCII
// ones (the Kelvin sign, the long s) among them.
func TestGuardsKeepMatches(t *testing.T) {
	guards := map[string]guarded{
		"uuidRE": uuidRE, "digestRE": digestRE, "dottedRE": dottedRE, "kebabRE": kebabRE, "versionRE": versionRE,
		"refRE": refRE, "managerRE": managerRE, "pathRE": pathRE, "numberRE": numberRE, "schemeRE": schemeRE,
		"filePathRE": filePathRE,
	}
	pieces := []string{"550e8400-e29b-41d4-a716-446655440000", "550E8400-E29B-41D4-A716-44665544000F", "550e8400", "-", "e29b", "446655440000", "sha256", "\u017fha1", "md5", ":", "=", "0123456789abcdef",
		"a", "B", "9", ".", "_", "v", "1", "${", "$(", "}", ")", "{{", "%", "#{", "$", "X", "vault", "ref+", "arn", "aws",
		"\u212Aeyvault", "op://", "sm://", "/", "~", "\\", "C", "12", "12345", "https", "://", "+", " ", "\u212A", "é"}
	r := rand.New(rand.NewPCG(17, 18))
	matched := map[string]int{}
	for range 200000 {
		text := randomText(r, pieces, 6)
		for name, g := range guards {
			if g.re.MatchString(text) {
				matched[name]++
				if !g.may(text) {
					t.Fatalf("%s matches %q, but its test skips it", name, text)
				}
			}
		}
	}
	for name := range guards {
		if matched[name] == 0 {
			t.Errorf("%s matched no text: the pieces test nothing", name)
		}
	}
}

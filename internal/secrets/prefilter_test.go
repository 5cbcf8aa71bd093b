package secrets

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// The byte checks before kvLineRE, xmlElemRE and the JWT pattern never skip a text
// that the regular expression matches.
func TestPrefiltersKeepMatches(t *testing.T) {
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

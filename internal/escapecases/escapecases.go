// Package escapecases makes the test inputs of Moat's escapers (JSON strings in
// internal/jsonenc; XML and YAML text in internal/report), which pass over runs of
// plain bytes eight at a time and must still write what their reference writes.
package escapecases

import (
	"math/rand/v2"
	"strings"
)

// Words are strings that put each kind of byte an escaper treats apart at every place
// in and across the eight-byte words it tests at once: every byte value, and characters
// of two to four bytes (and invalid ones), at each offset of a 20-byte run of plain
// text, once and twice; then 3,000 random strings of up to 70 bytes.
func Words() []string {
	var specials []string
	for c := range 256 {
		specials = append(specials, string([]byte{byte(c)}))
	}
	specials = append(specials, "é", "\u00a0", "\u0085", "\u2028", "\u2029", "\ufeff", "\ufffd", "\ufffe", "🚀", "\xed\xa0\x80", "\xe2\x80", "]]>", "<&>")
	const plain = "abcdefghijklmnopqrst"
	var cases []string
	for _, sp := range specials {
		for at := 0; at <= len(plain); at++ {
			cases = append(cases, plain[:at]+sp+plain[at:], plain[:at]+sp+sp+plain[at:])
		}
	}
	r := rand.New(rand.NewPCG(23, 24))
	for range 3000 {
		b := []byte(strings.Repeat("x", r.IntN(70)))
		for range r.IntN(4) {
			if len(b) > 0 {
				b[r.IntN(len(b))] = byte(r.IntN(256))
			}
		}
		cases = append(cases, string(b))
	}
	return cases
}

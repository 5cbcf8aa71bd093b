// Package jsonenc writes JSON strings byte for byte as encoding/json writes them, without
// reflection and without allocating: the findings of a report and the answers of the
// admission webhook are mostly strings.
package jsonenc

import "unicode/utf8"

// AppendString appends s quoted as encoding/json writes it with HTML escaping off
// (json.Encoder.SetEscapeHTML(false)), as the reports are written.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendContent(dst, s, false)
	return append(dst, '"')
}

// AppendStringHTML appends s quoted as json.Marshal writes it: also <, > and & escaped,
// as \u003c, \u003e and \u0026. The admission webhook's answers were json.Marshal's.
func AppendStringHTML(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendContent(dst, s, true)
	return append(dst, '"')
}

// AppendContent is AppendString less the quotes.
func AppendContent(dst []byte, s string) []byte { return appendContent(dst, s, false) }

// appendContent appends s as a JSON string's content: the two-character escapes for
// \b \f \n \r \t " and \, \u00XX for other control characters (and for <, > and & with
// html), U+FFFD for invalid UTF-8, and \u2028 and \u2029, which JavaScript does not
// accept raw in strings. Runs of eight bytes that need none of this, most of any text,
// are passed over a word at a time and copied whole.
func appendContent(b []byte, s string, html bool) []byte {
	start := 0
	for i := 0; i < len(s); {
		for i+8 <= len(s) && plainWord(load64(s, i), html) {
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && !(html && (c == '<' || c == '>' || c == '&')) {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

const hexDigits = "0123456789abcdef"

// The word test: eight bytes at once with the bit tricks of "Bit Twiddling Hacks"
// (Sean Eron Anderson: "determine if a word has a byte less than n", "... has a zero
// byte"). A word that fails goes byte by byte, so the output is the same.
const (
	lowBits  = 0x0101010101010101 // 0x01 in every byte
	highBits = 0x8080808080808080 // 0x80 in every byte
)

// plainWord reports eight bytes that are copied as they are: printable ASCII other than
// the quote and the backslash, and with html other than <, > and &.
func plainWord(x uint64, html bool) bool {
	m := (x - 0x20*lowBits) &^ x // the high bit of a byte below 0x20 (if x is ASCII)
	m |= equalTo(x, '"') | equalTo(x, '\\') | x
	if html {
		m |= equalTo(x, '<') | equalTo(x, '>') | equalTo(x, '&')
	}
	return m&highBits == 0
}

// equalTo is non-zero exactly when a byte of x is c, if x is ASCII.
func equalTo(x uint64, c byte) uint64 {
	y := x ^ (uint64(c) * lowBits)
	return (y - lowBits) &^ y
}

// load64 reads s[i:i+8] as a little-endian word; the compiler makes it one load.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

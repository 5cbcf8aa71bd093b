package report

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every character that a terminal would act on, or that would make
// the text read other than it is, written as a Go escape: C0 and C1 control characters
// (ESC of "\x1b[2J", carriage return, backspace, line feed, tab), DEL, Unicode format
// characters (the bidi embeddings, overrides and isolates U+202A–U+202E and
// U+2066–U+2069, zero-width spaces and joiners, U+FEFF), the line and paragraph separators
// U+2028 and U+2029, and bytes that are not UTF-8. Everything else, backslashes and
// non-ASCII letters included, is kept, so ordinary text comes back unchanged (and
// unallocated).
//
// Every format meant for a person runs the text it did not write itself — names of
// resources, files, containers, users, messages that quote them — through Escape, so
// that a crafted name cannot clear the screen, forge a line, or reverse what follows it.
// Machine formats leave this to their encoders (JSON, XML), DOT labels to strconv.Quote.
func Escape(s string) string { return escapeKeeping(s, nil) }

// unsafeRune reports a character Escape writes as an escape.
func unsafeRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f
	}
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// escapeKeeping is Escape, except that the characters keep accepts are kept as they are.
func escapeKeeping(s string, keep func(rune) bool) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || (unsafeRune(r) && (keep == nil || !keep(r))) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteByte("0123456789abcdef"[s[i]>>4])
			b.WriteByte("0123456789abcdef"[s[i]&0xf])
		case unsafeRune(r) && (keep == nil || !keep(r)):
			q := strconv.QuoteRune(r) // '\x1b', '\n', '\u202e'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

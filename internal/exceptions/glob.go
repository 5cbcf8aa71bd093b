package exceptions

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// Pattern is a glob over rule IDs, namespaces, kinds or names. In a glob, "*" matches
// any run of characters, "/" included ("secret/*", "*"); "?" one character; "[abc]"
// one of a set, "[a-z]" a range, "[!a-z]" or "[^a-z]" anything but; "\x" the
// character x itself.
// Everything else matches itself. A pattern matches the whole string.
type Pattern struct {
	Text string
	re   *regexp.Regexp
}

// Match reports whether s matches the whole pattern.
func (p Pattern) Match(s string) bool { return p.re.MatchString(s) }

func (p Pattern) String() string { return p.Text }

// CompileGlob turns a glob into a Pattern; fold makes it match without regard to case.
func CompileGlob(glob string, fold bool) (Pattern, error) {
	if glob == "" {
		return Pattern{}, errors.New("empty pattern")
	}
	var b strings.Builder
	if fold {
		b.WriteString("(?i)")
	}
	b.WriteString("^(?:")
	for i := 0; i < len(glob); {
		r, n := utf8.DecodeRuneInString(glob[i:])
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '\\':
			if i+n >= len(glob) {
				return Pattern{}, fmt.Errorf("bad pattern %q: trailing \\", glob)
			}
			e, m := utf8.DecodeRuneInString(glob[i+n:])
			b.WriteString(regexp.QuoteMeta(string(e)))
			n += m
		case '[':
			class, m, err := globClass(glob[i+n:])
			if err != nil {
				return Pattern{}, fmt.Errorf("bad pattern %q: %v", glob, err)
			}
			b.WriteString(class)
			n += m
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
		i += n
	}
	b.WriteString(")$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return Pattern{}, fmt.Errorf("bad pattern %q: %s %s", glob, se.Code, se.Expr)
		}
		return Pattern{}, fmt.Errorf("bad pattern %q: %v", glob, err)
	}
	return Pattern{Text: glob, re: re}, nil
}

// globClass translates the inside of a [...] class, s being what follows "[". It returns
// the regexp class and how many bytes of s it used, closing "]" included.
func globClass(s string) (string, int, error) {
	var b strings.Builder
	b.WriteByte('[')
	i := 0
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		b.WriteByte('^')
		i++
	}
	start := i
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == ']' && i > start:
			b.WriteByte(']')
			return b.String(), i + n, nil
		case r == '\\':
			if i+n >= len(s) {
				return "", 0, errors.New("trailing \\")
			}
			e, m := utf8.DecodeRuneInString(s[i+n:])
			b.WriteString(classLiteral(e))
			n += m
		case r == '-' && i > start && i+n < len(s) && s[i+n] != ']':
			b.WriteByte('-') // a range such as a-z
		default:
			b.WriteString(classLiteral(r))
		}
		i += n
	}
	return "", 0, errors.New("unclosed [")
}

// classLiteral writes r so that a regexp class reads it as itself.
func classLiteral(r rune) string {
	switch r {
	case '\\', ']', '[', '^', '-':
		return `\` + string(r)
	}
	return string(r)
}

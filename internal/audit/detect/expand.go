package detect

import (
	"fmt"
	"strconv"
	"strings"
)

// expand replaces the names of lists and macros in a CEL condition by their values: a
// list by a CEL list literal, a macro by its own expansion in parentheses. Only whole
// identifiers outside string literals and not after a '.' (a field selection) are
// replaced.
func expand(src string, s *Set) (string, error) {
	return expandDepth(src, s, nil)
}

func expandDepth(src string, s *Set, stack []string) (string, error) {
	var b strings.Builder
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '"' || c == '\'':
			j := skipString(src, i, false)
			b.WriteString(src[i:j])
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			word := src[i:j]
			// raw/bytes string prefixes: r"...", b'...'
			if (word == "r" || word == "R" || word == "b" || word == "B") && j < len(src) && (src[j] == '"' || src[j] == '\'') {
				k := skipString(src, j, word == "r" || word == "R")
				b.WriteString(src[i:k])
				i = k
				continue
			}
			if prevNonSpace(src, i) == '.' {
				b.WriteString(word)
				i = j
				continue
			}
			if items, ok := s.Lists[word]; ok {
				b.WriteString(listLiteral(items))
			} else if m, ok := s.Macros[word]; ok {
				for _, x := range stack {
					if x == word {
						return "", fmt.Errorf("macro %s refers to itself (%s -> %s)", word, strings.Join(stack, " -> "), word)
					}
				}
				x, err := expandDepth(m, s, append(stack, word))
				if err != nil {
					return "", err
				}
				b.WriteString("(" + x + ")")
			} else {
				b.WriteString(word)
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// skipString returns the index after the string literal starting at i (triple quotes too).
func skipString(src string, i int, raw bool) int {
	q := src[i]
	if strings.HasPrefix(src[i:], strings.Repeat(string(q), 3)) {
		end := strings.Index(src[i+3:], strings.Repeat(string(q), 3))
		if end < 0 {
			return len(src)
		}
		return i + 3 + end + 3
	}
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if !raw {
				j++
			}
		case q:
			return j + 1
		}
	}
	return len(src)
}

func prevNonSpace(src string, i int) byte {
	for i--; i >= 0; i-- {
		if src[i] != ' ' && src[i] != '\t' && src[i] != '\n' && src[i] != '\r' {
			return src[i]
		}
	}
	return 0
}

func listLiteral(items []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(it))
	}
	b.WriteByte(']')
	return b.String()
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }

func isIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentPart(s[i]) {
			return false
		}
	}
	return true
}

// outPart is a piece of an output template: literal text or a placeholder.
type outPart struct {
	text  string
	field string // placeholder name, "" for text
}

// placeholders are the event values an output template may name as {name}; a rule's
// fields add more.
var placeholders = map[string]bool{
	"username": true, "groups": true, "authUser": true, "verb": true, "resource": true,
	"subresource": true, "namespace": true, "name": true, "apiGroup": true, "object": true,
	"requestURI": true, "userAgent": true, "sourceIP": true, "code": true, "command": true,
	"container": true, "impersonatedUser": true, "verbed": true, "message": true,
}

func parseOutput(src string, fields map[string]program) ([]outPart, error) {
	var parts []outPart
	for src != "" {
		i := strings.IndexByte(src, '{')
		if i < 0 {
			parts = append(parts, outPart{text: src})
			break
		}
		if i > 0 {
			parts = append(parts, outPart{text: src[:i]})
		}
		j := strings.IndexByte(src[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed { in %q", src)
		}
		name := src[i+1 : i+j]
		if !placeholders[name] {
			if _, ok := fields[name]; !ok {
				return nil, fmt.Errorf("unknown placeholder {%s}", name)
			}
		}
		parts = append(parts, outPart{field: name})
		src = src[i+j+1:]
	}
	return parts, nil
}

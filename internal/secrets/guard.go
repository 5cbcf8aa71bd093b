package secrets

import (
	"regexp"
	"strings"
)

// guarded is a regular expression behind a cheap test that is true of every text the
// expression matches. Most values fail the test, and the expression, a hundred times
// slower, is not run on them; the answer is the expression's. TestGuardsKeepMatches
// holds each test to its expression.
type guarded struct {
	re  *regexp.Regexp
	may func(string) bool
}

func guard(expr string, may func(string) bool) guarded {
	return guarded{re: regexp.MustCompile(expr), may: may}
}

// MatchString is the expression's verdict on s.
func (g guarded) MatchString(s string) bool { return g.may(s) && g.re.MatchString(s) }

// holds returns a test that s holds one of chars.
func holds(chars string) func(string) bool {
	return func(s string) bool { return strings.ContainsAny(s, chars) }
}

// startsWithOneOf returns a test that s starts with one of chars.
func startsWithOneOf(chars string) func(string) bool {
	return func(s string) bool { return s != "" && strings.IndexByte(chars, s[0]) >= 0 }
}

// lengthIn returns a test that s has from min to max bytes.
func lengthIn(min, max int) func(string) bool {
	return func(s string) bool { return min <= len(s) && len(s) <= max }
}

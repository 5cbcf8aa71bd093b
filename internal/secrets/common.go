package secrets

import (
	"fmt"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
)

// Framework references shared by the rules of this package.
const (
	// nsaSecrets is the NSA/CISA Kubernetes Hardening Guide, "Network separation and
	// hardening", subsection "Secrets".
	nsaSecrets = "network-separation/secrets"
	// mitreCredentialsInFiles is Unsecured Credentials: Credentials In Files.
	mitreCredentialsInFiles = "T1552.001"
	// mitreContainerAPI is Unsecured Credentials: Container API.
	mitreContainerAPI = "T1552.007"
)

// keyPath is the field path of a map key: "data.password", or "data[app.properties]"
// when the key holds dots or slashes.
func keyPath(prefix, key string) string {
	if plainKey(key) {
		return prefix + "." + key
	}
	return prefix + "[" + key + "]"
}

// plainKey reports a key of ASCII letters, digits, "_" and "-" only (^[A-Za-z0-9_\-]+$).
func plainKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if c := key[i]; !isASCIILetter(c) && !isASCIIDigit(c) && c != '_' && c != '-' {
			return false
		}
	}
	return key != ""
}

// what names a match for a message without giving any of it away:
// `a GitHub personal access token (redacted)`.
func what(m Match) string {
	if m.Kind == NamedCredential {
		return "a literal credential " + m.Hint()
	}
	return m.Describe() + " " + m.Hint()
}

// severityOf lowers a guess from randomness to medium: it is likelier to be wrong.
func severityOf(m Match) *finding.Severity {
	if m.Kind == HighEntropy {
		s := finding.Medium
		return &s
	}
	return nil
}

// lineOf is the 1-based line of a byte offset in a text.
func lineOf(text string, offset int) int {
	if offset > len(text) {
		offset = len(text)
	}
	return 1 + strings.Count(text[:offset], "\n")
}

// claims marks the bytes of a text already reported, so that one credential found
// two ways (by its format and by its key) is reported once. Marking bytes keeps the
// cost linear in the text however many credentials it holds.
type claims struct{ used []bool }

func newClaims(n int) *claims { return &claims{used: make([]bool, n)} }

// overlaps reports whether any byte of [start, end) is claimed.
func (c *claims) overlaps(start, end int) bool {
	start, end = c.clip(start, end)
	for i := start; i < end; i++ {
		if c.used[i] {
			return true
		}
	}
	return false
}

// claim marks [start, end) and reports whether none of it was claimed before.
func (c *claims) claim(start, end int) bool {
	if c.overlaps(start, end) {
		return false
	}
	start, end = c.clip(start, end)
	for i := start; i < end; i++ {
		c.used[i] = true
	}
	return true
}

func (c *claims) clip(start, end int) (int, int) {
	if start < 0 {
		start = 0
	}
	if end > len(c.used) {
		end = len(c.used)
	}
	return start, end
}

// quoteList quotes names for a message, at most max of them: `"a", "b" and 3 more`.
func quoteList(names []string, max int) string {
	var b strings.Builder
	for i, n := range names {
		if i == max {
			fmt.Fprintf(&b, " and %d more", len(names)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	return b.String()
}

package secrets

import (
	"fmt"
	"regexp"
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

var plainKeyRE = regexp.MustCompile(`^[A-Za-z0-9_\-]+$`)

// keyPath is the field path of a map key: "data.password", or "data[app.properties]"
// when the key holds dots or slashes.
func keyPath(prefix, key string) string {
	if plainKeyRE.MatchString(key) {
		return prefix + "." + key
	}
	return prefix + "[" + key + "]"
}

// what names a match for a message without giving it away:
// `a GitHub personal access token "ghp_…" (40 chars)`.
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

// span is a byte range of a text already reported, so that one credential found two
// ways (by its format and by its key) is reported once.
type span struct{ start, end int }

type spans []span

func (ss *spans) claim(start, end int) bool {
	for _, s := range *ss {
		if start < s.end && s.start < end {
			return false
		}
	}
	*ss = append(*ss, span{start, end})
	return true
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

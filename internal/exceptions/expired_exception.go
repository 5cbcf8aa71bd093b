// Finding config/expired-exception: an exception of the config file whose expiry date
// has passed. It no longer suppresses anything, and this finding tells the team to renew
// the date if the reason still holds, or to remove the exception.
package exceptions

import (
	"fmt"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// ConfigKind is the resource kind of findings about the config file itself.
const ConfigKind = "MoatConfig"

var expiredException = rule.Meta{
	ID:       "config/expired-exception",
	Title:    "Exception in the config file has expired",
	Severity: finding.Medium,
	Description: `An exception of the Moat config file (.moat.yaml or --config) has an expires date that
has passed. It no longer suppresses anything, so the findings it covered are reported
again. Exceptions that expire make accepted risks come back for review, as the NSA/CISA
Kubernetes Hardening Guide asks of security configurations (periodic review, in
upgrading and application security practices).`,
	Remediation: "Review the exception: if its reason still holds, set a new expires date; otherwise fix the findings it covered and remove it.",
	Frameworks:  finding.Frameworks{NSA: "upgrading-and-application-security-practices"},
	Kinds:       []string{ConfigKind},
}

func init() { rule.RegisterMeta(expiredException) }

func (c *Config) expired(e *Exception) finding.Finding {
	rules := make([]string, len(e.Rules))
	for i, p := range e.Rules {
		rules[i] = p.Text
	}
	line := e.ExpiresLine
	if line == 0 {
		line = e.Line
	}
	return finding.Finding{
		RuleID:   expiredException.ID,
		Severity: expiredException.Severity,
		Title:    expiredException.Title,
		Message: fmt.Sprintf("exception for %s (%q) expired on %s and no longer suppresses anything: renew the date if the reason still holds, or remove the exception",
			strings.Join(quoteAll(rules), ", "), e.Reason, e.ExpiresText),
		Resource:    finding.Resource{Kind: ConfigKind, Name: c.File},
		Path:        fmt.Sprintf("exceptions[%d].expires", e.Index),
		Source:      &finding.Source{File: c.File, Line: line},
		Frameworks:  expiredException.Frameworks,
		Remediation: expiredException.Remediation,
	}
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func isConfigRule(id string) bool { return strings.HasPrefix(id, "config/") }

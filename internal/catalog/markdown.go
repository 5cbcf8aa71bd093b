package catalog

import (
	"fmt"
	"strings"

	"github.com/moat-dev/moat/internal/rule"
)

// Markdown renders the rule catalogue as the reference page docs/rules.md.
func Markdown(rules []*rule.Rule) string {
	var b strings.Builder
	b.WriteString("# Moat rules\n\nGenerated from the rule registry by `make golden`; do not edit.\n\n")
	fmt.Fprintf(&b, "%d rules.\n\n| ID | Severity | Title | PSS | CIS | NSA/CISA | MITRE |\n|---|---|---|---|---|---|---|\n", len(rules))
	for _, r := range rules {
		fw := r.Frameworks
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s | %s | %s | %s |\n", r.ID, anchor(r.ID), r.Severity, r.Title, fw.PSS, fw.CIS, fw.NSA, fw.MITRE)
	}
	for _, r := range rules {
		fmt.Fprintf(&b, "\n## %s\n\n**%s** — severity %s; kinds: %s.\n\n%s\n\n**Remediation.** %s\n", r.ID, r.Title, r.Severity, strings.Join(r.Kinds, ", "), strings.TrimSpace(r.Description), strings.TrimSpace(r.Remediation))
	}
	b.WriteString("\n## Peer checks not added\n\nChecks of kube-linter, Kubescape, Checkov and Polaris that Moat considered and does not carry, and why. " +
		"Checks Moat covers under another name are not listed.\n\n| Peer | Check | Why not |\n|---|---|---|\n")
	for _, n := range notAdded {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", n.Peer, cell(n.Check), cell(n.Reason))
	}
	return b.String()
}

// cell makes text fit a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func anchor(id string) string {
	return strings.NewReplacer("/", "", ".", "").Replace(id)
}

package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// ruleDomain is the part of a rule ID before the slash: "pod" of "pod/privileged-container".
func ruleDomain(id string) string {
	d, _, _ := strings.Cut(id, "/")
	return d
}

// ruleSlug is the part of a rule ID after the slash: "privileged-container".
func ruleSlug(id string) string {
	if _, s, ok := strings.Cut(id, "/"); ok {
		return s
	}
	return id
}

// oneLine folds the hard line breaks and runs of spaces of a text written in Go source
// (rule descriptions are raw strings wrapped at 100 columns) into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// reference is one framework control a rule or finding maps to.
type reference struct {
	// Key is the short framework name used in tags and properties: pss, cis, nsa, mitre.
	Key string
	// Framework is the framework's full name.
	Framework string
	// Control is the control ID within the framework.
	Control string
}

// references lists the framework controls in a fixed order.
func references(fw finding.Frameworks) []reference {
	var out []reference
	add := func(key, name, control string) {
		if control != "" {
			out = append(out, reference{key, name, control})
		}
	}
	add("pss", "Pod Security Standards", fw.PSS)
	add("cis", "CIS Kubernetes Benchmark", fw.CIS)
	add("nsa", "NSA/CISA Kubernetes Hardening Guide", fw.NSA)
	add("mitre", "MITRE ATT&CK", fw.MITRE)
	return out
}

// mitreURL is the page of an ATT&CK technique: T1611 or sub-technique T1552.007.
func mitreURL(id string) string {
	tech, sub, ok := strings.Cut(id, ".")
	if ok {
		return fmt.Sprintf("https://attack.mitre.org/techniques/%s/%s/", tech, sub)
	}
	return fmt.Sprintf("https://attack.mitre.org/techniques/%s/", tech)
}

// ruleIndex gives the metadata of every rule a renderer describes: the rules that ran,
// sorted by ID, then any rule that only appears in a finding (its metadata is taken from
// the finding), so that every finding has a rule to point to.
type ruleIndex struct {
	Rules []rule.Meta
	pos   map[string]int
}

func indexRules(r *Report) *ruleIndex {
	ix := &ruleIndex{pos: map[string]int{}}
	var ran []rule.Meta
	for _, ru := range r.Rules {
		if ru != nil {
			ran = append(ran, ru.Meta)
		}
	}
	slices.SortStableFunc(ran, func(a, b rule.Meta) int { return strings.Compare(a.ID, b.ID) })
	for _, m := range ran {
		if _, dup := ix.pos[m.ID]; !dup {
			ix.pos[m.ID] = len(ix.Rules)
			ix.Rules = append(ix.Rules, m)
		}
	}
	var extra []rule.Meta
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if _, ok := ix.pos[f.RuleID]; ok || seen[f.RuleID] {
			continue
		}
		seen[f.RuleID] = true
		extra = append(extra, rule.Meta{
			ID: f.RuleID, Title: f.Title, Severity: f.Severity, Remediation: f.Remediation, Frameworks: f.Frameworks,
		})
	}
	slices.SortFunc(extra, func(a, b rule.Meta) int { return strings.Compare(a.ID, b.ID) })
	for _, m := range extra {
		ix.pos[m.ID] = len(ix.Rules)
		ix.Rules = append(ix.Rules, m)
	}
	return ix
}

// Index is the position of a rule in Rules.
func (ix *ruleIndex) Index(id string) int { return ix.pos[id] }

// suppressionText says who suppressed a finding and why, for text formats.
func suppressionText(s *finding.Suppression) string {
	if s.Reason == "" {
		return "suppressed by " + s.Kind
	}
	return fmt.Sprintf("suppressed by %s: %s", s.Kind, s.Reason)
}

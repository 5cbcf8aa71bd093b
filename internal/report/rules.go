package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/moat-dev/moat/internal/audit/detect"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// Rules are the formats of `moat rules`: every rule with its metadata.
var Rules = newFormats(
	plain("table", renderRulesTable),
	plain("json", renderRulesJSON),
)

// DetectionRules are the formats of `moat audit rules`: the audit detection rules.
var DetectionRules = newFormats(
	plain("table", renderDetectionRulesTable),
	plain("json", renderDetectionRulesJSON),
)

func renderRulesJSON(w io.Writer, rules []*rule.Rule) error {
	metas := make([]rule.Meta, len(rules))
	for i, r := range rules {
		metas[i] = r.Meta
	}
	return encodeIndented(w, map[string]any{"rules": metas})
}

func renderRulesTable(w io.Writer, rules []*rule.Rule) error {
	tw := newTabWriter(w)
	writeRow(tw, "ID", "SEVERITY", "TITLE", "FRAMEWORKS")
	for _, r := range rules {
		writeRow(tw, r.ID, r.Severity.String(), r.Title, frameworks(r.Meta))
	}
	return tw.Flush()
}

// frameworks lists a rule's framework controls: "pss:baseline/privileged cis:5.2.2".
func frameworks(m rule.Meta) string {
	var parts []string
	for _, kv := range [][2]string{{"pss", m.Frameworks.PSS}, {"cis", m.Frameworks.CIS}, {"nsa", m.Frameworks.NSA}, {"mitre", m.Frameworks.MITRE}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+":"+kv[1])
		}
	}
	return strings.Join(parts, " ")
}

// detectionRuleJSON is one rule of `moat audit rules -o json`.
type detectionRuleJSON struct {
	ID        string           `json:"id"`
	Title     string           `json:"title"`
	Severity  finding.Severity `json:"severity"`
	MITRE     []string         `json:"mitre"`
	Desc      string           `json:"desc"`
	Condition string           `json:"condition"`
	Source    string           `json:"source"`
	// Refused says what a refused attempt at the rule's action raises.
	Refused *detect.Refused `json:"refused,omitempty"`
}

func renderDetectionRulesJSON(w io.Writer, rules []*detect.Rule) error {
	var rs []detectionRuleJSON
	for _, r := range rules {
		rs = append(rs, detectionRuleJSON{r.ID, r.Title, r.Severity, r.MITRE, r.Desc, r.Condition, fmt.Sprintf("%s:%d", r.File, r.Line), r.Refused})
	}
	return encodeIndented(w, map[string]any{"rules": rs})
}

func renderDetectionRulesTable(w io.Writer, rules []*detect.Rule) error {
	tw := newTabWriter(w)
	writeRow(tw, "ID", "SEVERITY", "MITRE", "TITLE")
	for _, r := range rules {
		writeRow(tw, r.ID, r.Severity.String(), strings.Join(r.MITRE, ","), r.Title)
	}
	return tw.Flush()
}

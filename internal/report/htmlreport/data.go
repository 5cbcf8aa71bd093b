package htmlreport

import (
	"time"

	"github.com/moat-dev/moat/internal/finding"
)

// document is the page's data, as its script reads it. What many findings share (a
// rule's title, remediation and frameworks; a resource; a file and its lines) is stored
// once in a table and named by its place, so that 10,000 findings stay a few megabytes.
type document struct {
	Version  int             `json:"version"`
	Title    string          `json:"title"`
	Tool     string          `json:"tool,omitempty"`
	Time     string          `json:"time,omitempty"`
	Partial  bool            `json:"partial,omitempty"`
	Summary  finding.Summary `json:"summary"`
	Errors   []string        `json:"errors,omitempty"`
	Warnings []string        `json:"warnings,omitempty"`
	// Scan says the document is a scan's: the page shows its summary, compliance and
	// findings tabs even when no finding was made.
	Scan bool `json:"scan"`
	// Severities are the severity names, by value (findings carry the value).
	Severities []string           `json:"severities"`
	Rules      []ruleRow          `json:"rules"`
	Resources  []finding.Resource `json:"resources"`
	Files      []fileRow          `json:"files"`
	Findings   []findingRow       `json:"findings"`
	Groups     []groupRow         `json:"groups"`
	// SnippetsCut counts the findings whose lines the snippet budget left out.
	SnippetsCut int        `json:"snippetsCut,omitempty"`
	Compliance  compliance `json:"compliance"`
	Graphs      []Graph    `json:"graphs,omitempty"`
}

// ruleRow is what findings of one rule share. A rule whose findings differ in these (a
// result that names its own PSS check) has one row for each variant.
type ruleRow struct {
	ID          string             `json:"id"`
	Title       string             `json:"title"`
	Description string             `json:"description,omitempty"`
	Remediation string             `json:"remediation"`
	Frameworks  finding.Frameworks `json:"frameworks"`
}

// findingRow is one finding, with short keys: the page holds thousands.
type findingRow struct {
	Rule     int    `json:"r"` // place in rules
	Severity int    `json:"s"` // finding.Severity
	Message  string `json:"m"`
	Resource int    `json:"o"` // place in resources
	Path     string `json:"p,omitempty"`
	File     int    `json:"f"` // place in files, -1 for none (a cluster object)
	Line     int    `json:"l,omitempty"`
	// LineUnknown says why the line is not known (see finding.Source).
	LineUnknown string `json:"lu,omitempty"`
	// Snippet says the file's lines around Line are in the page.
	Snippet bool `json:"sn,omitempty"`
	// Suppressed is "kind: reason" for a suppressed finding.
	Suppressed string `json:"x,omitempty"`
	Group      int    `json:"g"` // place in groups
}

// groupRow is a root cause (finding.RootCause): the findings one field of one resource
// causes. Its findings name it by place.
type groupRow struct {
	Resource int    `json:"o"`
	Path     string `json:"p,omitempty"`
	Severity int    `json:"s"`
}

type ruleKey struct {
	id, title, remediation string
	frameworks             finding.Frameworks
}

func buildDocument(s Scan, lim SnippetLimits) *document {
	doc := &document{
		Version:  1,
		Title:    s.Title,
		Tool:     s.ToolVersion,
		Partial:  s.Partial,
		Summary:  s.Summary,
		Errors:   s.Errors,
		Warnings: s.Warnings,
		Scan:     len(s.Findings) > 0 || len(s.Rules) > 0,
		Graphs:   s.Graphs,
		// Empty tables are written as [] rather than null: the script reads them as arrays.
		Rules:     []ruleRow{},
		Resources: []finding.Resource{},
	}
	if doc.Title == "" {
		doc.Title = "Moat scan report"
	}
	if !s.Time.IsZero() {
		doc.Time = s.Time.UTC().Format(time.RFC3339)
	}
	for sev := finding.Info; sev <= finding.Critical; sev++ {
		doc.Severities = append(doc.Severities, sev.String())
	}
	doc.Findings = findingRows(doc, s, lim)
	doc.Groups = groupRows(doc, s.Findings)
	doc.Compliance = buildCompliance(s.Findings, s.Rules, s.Namespaces)
	return doc
}

// findingRows fills the rule, resource and file tables and returns one row per finding,
// with the snippets of the findings in report order until the budget is spent.
func findingRows(doc *document, s Scan, lim SnippetLimits) []findingRow {
	descriptions := map[string]string{}
	for _, r := range s.Rules {
		descriptions[r.ID] = r.Description
	}
	rules := map[ruleKey]int{}
	resources := map[finding.Resource]int{}
	snips := newSnippetSet(lim)
	rows := make([]findingRow, len(s.Findings))
	for i := range s.Findings {
		f := &s.Findings[i]
		k := ruleKey{f.RuleID, f.Title, f.Remediation, f.Frameworks}
		r, ok := rules[k]
		if !ok {
			r = len(doc.Rules)
			rules[k] = r
			doc.Rules = append(doc.Rules, ruleRow{f.RuleID, f.Title, descriptions[f.RuleID], f.Remediation, f.Frameworks})
		}
		o, ok := resources[f.Resource]
		if !ok {
			o = len(doc.Resources)
			resources[f.Resource] = o
			doc.Resources = append(doc.Resources, f.Resource)
		}
		rows[i] = findingRow{Rule: r, Severity: int(f.Severity), Message: f.Message, Resource: o, Path: f.Path, File: snips.file(f.Source)}
		if f.Source != nil {
			rows[i].Line, rows[i].LineUnknown = f.Source.Line, f.Source.LineUnknown
		}
		if f.Suppressed != nil {
			rows[i].Suppressed = f.Suppressed.Kind + ": " + f.Suppressed.Reason
		}
	}
	wanted := make([][]int, len(snips.files))
	for _, row := range rows {
		if row.File >= 0 && row.Line > 0 {
			wanted[row.File] = append(wanted[row.File], row.Line)
		}
	}
	snips.readAll(wanted)
	for i := range rows {
		if rows[i].File < 0 || rows[i].Line <= 0 {
			continue
		}
		have, cut := snips.take(rows[i].File, rows[i].Line)
		rows[i].Snippet = have
		if cut {
			doc.SnippetsCut++
		}
	}
	doc.Files = append([]fileRow{}, snips.files...)
	return rows
}

// groupRows groups the findings by root cause as the table report does
// (finding.RootCauses, most severe first) and points each finding row at its group.
func groupRows(doc *document, fs []finding.Finding) []groupRow {
	// RootCauses returns copies; find each one's row again. Equal findings take the
	// rows in turn.
	rowsOf := make(map[finding.Finding][]int, len(fs))
	for i, f := range fs {
		rowsOf[f] = append(rowsOf[f], i)
	}
	resources := make(map[finding.Resource]int, len(doc.Resources))
	for i, r := range doc.Resources {
		resources[r] = i
	}
	groups := []groupRow{}
	for g, rc := range finding.RootCauses(fs) {
		groups = append(groups, groupRow{Resource: resources[rc.Resource], Path: rc.Path, Severity: int(rc.Severity)})
		for _, f := range rc.Findings {
			rows := rowsOf[f]
			doc.Findings[rows[0]].Group = g
			rowsOf[f] = rows[1:]
		}
	}
	return groups
}

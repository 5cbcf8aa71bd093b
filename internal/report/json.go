package report

import (
	"io"

	"github.com/moat-dev/moat/internal/finding"
)

// JSONVersion is the version of the JSON output contract (DESIGN.md).
const JSONVersion = 1

// JSONDocument is the JSON output: one object, stable order.
type JSONDocument struct {
	Version  int               `json:"version"`
	Summary  finding.Summary   `json:"summary"`
	Findings []finding.Finding `json:"findings"`
	Errors   []string          `json:"errors,omitempty"`
	Warnings []string          `json:"warnings,omitempty"`
	Skipped  []Skipped         `json:"skipped,omitempty"`
}

func renderJSON(w io.Writer, r *Report) error {
	doc := JSONDocument{Version: JSONVersion, Summary: r.Summary, Findings: r.Findings, Errors: r.Errors, Warnings: r.Warnings, Skipped: r.Skipped}
	return writeJSONDocument(w, &doc, parallel{})
}

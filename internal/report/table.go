package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
)

// Table renders findings grouped by resource for a person at a terminal.
type Table struct {
	// Color turns on ANSI colours; the command sets it only for a terminal without NO_COLOR.
	Color bool
}

func init() { register("table", &Table{}) }

var severityColor = map[finding.Severity]string{
	finding.Critical: "\x1b[1;35m", finding.High: "\x1b[1;31m", finding.Medium: "\x1b[33m",
	finding.Low: "\x1b[36m", finding.Info: "\x1b[2m",
}

func (t *Table) paint(s finding.Severity, text string) string {
	if !t.Color {
		return text
	}
	return severityColor[s] + text + "\x1b[0m"
}

func (t *Table) Render(w io.Writer, r *Report) error {
	var b strings.Builder
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "error: %s\n", e)
	}
	for _, e := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", e)
	}
	if len(r.Errors)+len(r.Warnings) > 0 {
		b.WriteByte('\n')
	}
	// Group by resource, in the order resources first appear (severity order).
	var order []finding.Resource
	groups := map[finding.Resource][]finding.Finding{}
	for _, f := range r.Findings {
		if _, ok := groups[f.Resource]; !ok {
			order = append(order, f.Resource)
		}
		groups[f.Resource] = append(groups[f.Resource], f)
	}
	for _, res := range order {
		fs := groups[res]
		head := res.String()
		if fs[0].Source != nil {
			head += "  (" + fs[0].Source.File + ")"
		}
		fmt.Fprintln(&b, head)
		for _, f := range fs {
			sev := fmt.Sprintf("%-8s", strings.ToUpper(f.Severity.String()))
			loc := ""
			if f.Source != nil && f.Source.Line > 0 {
				loc = fmt.Sprintf(" [line %d]", f.Source.Line)
			}
			sup := ""
			if f.Suppressed != nil {
				sup = fmt.Sprintf(" (suppressed by %s: %s)", f.Suppressed.Kind, f.Suppressed.Reason)
			}
			fmt.Fprintf(&b, "  %s %-36s %s%s%s\n", t.paint(f.Severity, sev), f.RuleID, f.Message, loc, sup)
		}
		b.WriteByte('\n')
	}
	s := r.Summary
	var parts []string
	for _, sev := range finding.Severities {
		parts = append(parts, t.paint(sev, fmt.Sprintf("%d %s", s.BySeverity[sev], sev)))
	}
	fmt.Fprintf(&b, "%d objects scanned, %d findings (%s), %d suppressed, %d errors\n",
		s.Objects, s.Findings, strings.Join(parts, ", "), s.Suppressed, s.Errors)
	_, err := io.WriteString(w, b.String())
	return err
}

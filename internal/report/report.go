// Package report renders a scan's findings as table, json, sarif, junit or policyreport.
// Renderers only render: every decision (what is a finding, what is suppressed, the
// order) was made before. Every renderer is deterministic: the same Report gives the same
// bytes, so output can be diffed and kept as golden files.
package report

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// Report is everything a renderer may show.
type Report struct {
	Summary finding.Summary
	// Findings are sorted; suppressed ones are included only when ShowSuppressed is set.
	Findings []finding.Finding
	// Errors are input problems, each naming its file and line.
	Errors []string
	// Warnings are lost coverage and similar notes.
	Warnings []string
	// Partial says that whole kinds could not be read: the findings are incomplete.
	Partial bool
	// Rules are the rules that ran, for renderers that describe them (SARIF).
	Rules []*rule.Rule
	// ToolVersion is Moat's version.
	ToolVersion string
	// Time is when the scan ran. Formats that carry a time (policyreport) use it, so that
	// rendering reads no clock; the zero value leaves the time out.
	Time time.Time
}

// Renderer writes a report in one format.
type Renderer interface {
	Render(w io.Writer, r *Report) error
}

// RendererFunc adapts a function to Renderer.
type RendererFunc func(w io.Writer, r *Report) error

func (f RendererFunc) Render(w io.Writer, r *Report) error { return f(w, r) }

var renderers = map[string]Renderer{}

// register adds a format; each renderer file registers itself.
func register(name string, r Renderer) { renderers[name] = r }

// Formats lists the output formats.
func Formats() []string {
	out := make([]string, 0, len(renderers))
	for n := range renderers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// For returns the renderer of a format.
func For(format string) (Renderer, error) {
	r, ok := renderers[format]
	if !ok {
		return nil, fmt.Errorf("unknown output format %q (want one of %v)", format, Formats())
	}
	return r, nil
}

// Package scan is the main job: load an inventory, run the rules, apply exceptions
// and build the report. The command line only wires flags into Options.
package scan

import (
	"slices"
	"time"

	"github.com/moat-dev/moat/internal/engine"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/report"
	"github.com/moat-dev/moat/internal/rule"
)

// Options of one scan.
type Options struct {
	Rule           rule.Options
	Config         *exceptions.Config
	ShowSuppressed bool
	ToolVersion    string
}

// Run scans an inventory and returns the report.
func Run(inv *inventory.Inventory, opt Options) *report.Report {
	if opt.Rule.Now.IsZero() {
		opt.Rule.Now = time.Now()
	}
	rules := rule.All()
	fs := engine.Run(inv, rules, opt.Rule)
	// A nil Config still applies the inline ignore annotations.
	fs = opt.Config.Apply(fs, inv, opt.Rule.Now)
	finding.Sort(fs)
	errs := make([]string, len(inv.Errors))
	for i, e := range inv.Errors {
		errs[i] = e.Error()
	}
	r := &report.Report{
		Summary:     finding.Summarize(len(inv.Objects), fs, len(inv.Errors)),
		Errors:      errs,
		Warnings:    append(slices.Clip(inv.Warnings), opt.Config.WarningList()...),
		Partial:     inv.Partial,
		Rules:       rules,
		ToolVersion: opt.ToolVersion,
		Time:        opt.Rule.Now,
	}
	r.Findings = fs
	if !opt.ShowSuppressed {
		// Filtered in place: fs is this scan's own slice.
		r.Findings = slices.DeleteFunc(fs, func(f finding.Finding) bool { return f.Suppressed != nil })
	}
	return r
}

// Exit codes of the command line (DESIGN.md).
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitError    = 2
)

// ExitCode is 2 when any input could not be read or the scan was partial (whole kinds
// unreadable), else 1 when an unsuppressed finding is at or above failOn, else 0.
func ExitCode(r *report.Report, failOn finding.Severity) int {
	if len(r.Errors) > 0 || r.Partial {
		return ExitError
	}
	for _, f := range r.Findings {
		if f.Suppressed == nil && f.Severity >= failOn {
			return ExitFindings
		}
	}
	return ExitOK
}

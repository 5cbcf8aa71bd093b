package report

import (
	"io"

	"github.com/moat-dev/moat/internal/report/htmlreport"
)

// Findings are the formats of a scan's findings: table (for a person at a terminal, the
// default), json (the versioned contract of DESIGN.md), sarif (code scanning), junit (CI
// test reports), policyreport (wgpolicyk8s.io PolicyReports) and html (a self-contained
// page for a browser: internal/report/htmlreport).
var Findings = newFormats(
	format("table", func(o Options) Renderer[*Report] { return &Table{Color: o.Color, Width: o.Width, Verbose: o.Verbose} }),
	plain("json", renderJSON),
	plain("sarif", renderSARIF),
	plain("junit", renderJUnit),
	plain("policyreport", renderPolicyReport),
	plain("html", func(w io.Writer, r *Report) error {
		return htmlreport.Render(w, htmlreport.Scan{Summary: r.Summary, Findings: r.Findings, Rules: r.Rules, Errors: r.Errors,
			Warnings: r.Warnings, Partial: r.Partial, ToolVersion: r.ToolVersion, Time: r.Time, Graphs: r.Graphs, Namespaces: r.Namespaces})
	}),
)

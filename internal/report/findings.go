package report

// Findings are the formats of a scan's findings: table (for a person at a terminal, the
// default), json (the versioned contract of DESIGN.md), sarif (code scanning), junit (CI
// test reports) and policyreport (wgpolicyk8s.io PolicyReports).
var Findings = newFormats(
	format("table", func(o Options) Renderer[*Report] { return &Table{Color: o.Color, Width: o.Width, Verbose: o.Verbose} }),
	plain("json", renderJSON),
	plain("sarif", renderSARIF),
	plain("junit", renderJUnit),
	plain("policyreport", renderPolicyReport),
)

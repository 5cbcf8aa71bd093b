package htmlreport

import _ "embed"

// The page's script, style and graph library, built from web/report by
// `make report-assets` (scripts/build-report-assets.sh) and committed.
var (
	//go:embed assets/report.js
	reportJS string
	//go:embed assets/report.css
	reportCSS string
	// graphJS is the graph library (cytoscape, pinned in web/report/package-lock.json)
	// followed by the page's graph tab.
	//go:embed assets/graph.js
	graphJS string
)

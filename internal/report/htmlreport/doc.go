// Package htmlreport renders a scan as one self-contained HTML page a person opens in a
// browser: a summary by severity, namespace and rule; a compliance view (the Pod Security
// level each namespace meets, and the CIS, NSA/CISA and MITRE ATT&CK controls the rules
// check and the findings fail); a findings table that filters, sorts, pages and groups by
// root cause, each finding with its remediation and the source lines around it; and, when
// the caller has one, a graph of nodes and edges (attack paths, connectivity) in a tab of
// its own.
//
// The page makes no request: its scripts and styles are inline and allowed by hash in a
// Content-Security-Policy of default-src 'none'; it uses the system's fonts. The data is
// JSON in a <script type="application/json"> element, with every '<', '>' and '&'
// written as a \u escape, so no text of a finding can end that element.
//
// The page's script and style are built from web/report (make report-assets) into
// assets/, which are committed, so go build needs no npm.
//
// Rendering reads one thing besides its argument: the lines around each finding, from the
// files the findings name (the files the scan read), bounded in lines, line length and
// total bytes (see snippets.go). A file that cannot be read gets no snippet.
package htmlreport

package report

import (
	"bufio"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/moat-dev/moat/internal/finding"
)

// PolicyReport output: the Kubernetes Policy WG's PolicyReport API
// (wgpolicyk8s.io/v1alpha2, kubernetes-sigs/wg-policy-prototypes), which Kyverno, Falco,
// Trivy operator and Policy Reporter read and write. `kubectl apply -f` puts the reports
// into a cluster that has the CRDs.
//
//   - One PolicyReport "moat-NAMESPACE" per namespace that has findings, in that
//     namespace, and one ClusterPolicyReport "moat-cluster" for cluster-scoped resources,
//     always written so that an applied clean scan replaces an old report; the stream is
//     multi-document YAML, the cluster report first, then namespaces in name order.
//   - A result per finding: source "moat", policy the rule ID, rule its slug, result
//     "fail", or "skip" for a suppressed finding (shown with --show-suppressed), severity,
//     category the rule's domain (pod, rbac, netpol...), message, the resource, and
//     properties with the field path, file, line, origin, framework controls and
//     suppression reason.
//   - Input errors are results of policy "moat/input" with result "error" in the cluster
//     report: they say a part of the scan is missing.
//   - The timestamp of every result is the scan's time (Report.Time), so output does not
//     depend on when it is rendered.
//
// Field names follow the upstream v1alpha2 types (policy-report/apis/wgpolicyk8s.io/
// v1alpha2/policyreport_types.go): PolicyReportResult's Subjects is serialized as
// "resources" and its Description as "message".

const (
	// PolicyReportAPIVersion is the group/version of the reports.
	PolicyReportAPIVersion = "wgpolicyk8s.io/v1alpha2"
	// PolicyReportSource is the source of every result.
	PolicyReportSource = "moat"
	// ClusterPolicyReportName is the name of the ClusterPolicyReport.
	ClusterPolicyReportName = "moat-cluster"
	// InputErrorPolicy is the policy of results that report unreadable input.
	InputErrorPolicy = "moat/input"
)

// PolicyReportName is the name of the PolicyReport of a namespace.
func PolicyReportName(namespace string) string { return "moat-" + namespace }

func renderPolicyReport(w io.Writer, r *Report) error { return writePolicyReport(w, r, parallel{}) }

// policyDoc is one report document: its findings' indexes and their counts.
type policyDoc struct {
	kind, name, namespace string
	idx                   []int
	fail, skip            int
}

// writePolicyReport writes the reports, their results encoded in blocks as par says.
func writePolicyReport(w io.Writer, r *Report, par parallel) error {
	docs := policyDocs(r)
	// A unit is a result (the document's beginning before its first, its end after its
	// last), or a whole document without results.
	units := groupUnits(len(docs), func(d int) int { return len(docs[d].idx) })
	bw := bufio.NewWriterSize(w, 64<<10)
	par = par.withDefaults()
	bounds := evenBounds(len(units), par.blockSize)
	err := par.writeBlocks(bw, len(bounds)-1, len(r.Findings), func() blockEncoder {
		p := policyWriter{r: r, docs: docs, timestamp: timestampYAML(r.Time)}
		return func(b []byte, k int) []byte {
			p.e.b = b
			p.startBlock(units[bounds[k]])
			for _, u := range units[bounds[k]:bounds[k+1]] {
				p.unit(u)
			}
			return p.e.b
		}
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// policyDocs groups the findings by namespace as indexes: the cluster report
// (cluster-scoped resources and input errors) first, then each namespace's in name order.
func policyDocs(r *Report) []policyDoc {
	clusterName := ClusterPolicyReportName
	if r.ClusterReportName != "" {
		clusterName = r.ClusterReportName
	}
	docs := []policyDoc{{kind: "ClusterPolicyReport", name: clusterName}}
	namespaced := map[string]int{}
	lastNS, lastDoc := "", 0 // findings of a namespace come in runs
	for i := range r.Findings {
		f := &r.Findings[i]
		d := 0
		switch ns := f.Resource.Namespace; ns {
		case "": // cluster-scoped: the cluster report
		case lastNS:
			d = lastDoc
		default:
			var ok bool
			if d, ok = namespaced[ns]; !ok {
				d = len(docs)
				namespaced[ns] = d
				docs = append(docs, policyDoc{kind: "PolicyReport", name: PolicyReportName(ns), namespace: ns})
			}
			lastNS, lastDoc = ns, d
		}
		g := &docs[d]
		g.idx = append(g.idx, i)
		if f.Suppressed != nil {
			g.skip++
		} else {
			g.fail++
		}
	}
	slices.SortFunc(docs[1:], func(a, b policyDoc) int { return strings.Compare(a.namespace, b.namespace) })
	return docs
}

// policyWriter writes the reports' YAML (see yamlstream.go), the keys of every mapping
// in yaml.v2's order, which is sorted. Each goroutine that encodes results has its own.
type policyWriter struct {
	e    yamlEmitter
	r    *Report
	docs []policyDoc
	// timestamp is every result's timestamp as written after a value, made once; nil
	// when the report has no time.
	timestamp []byte
}

// startBlock sets the emitter as the units before u left it, so that a block encodes
// as it would following them: u is a document's first, or follows a result, whose last
// value leaves the emitter past indentation and whitespace.
func (p *policyWriter) startBlock(u blockUnit) {
	if u.at > 0 {
		p.e.afterValue()
	}
}

// unit writes a unit: a document's beginning before its first result, the result, and
// the document's end after its last.
func (p *policyWriter) unit(u blockUnit) {
	doc := &p.docs[u.group]
	if u.at <= 0 {
		if u.group > 0 {
			p.e.b = append(p.e.b, "---\n"...)
		}
		p.header(doc.kind, doc.name, doc.namespace)
		p.e.key(0, "results")
		if u.at < 0 && (u.group > 0 || len(p.r.Errors) == 0) {
			p.e.emptySeq()
		}
	}
	if u.at >= 0 {
		p.finding(&p.r.Findings[doc.idx[u.at]])
	}
	if u.at < 0 || int(u.at) == len(doc.idx)-1 {
		errs := 0
		if u.group == 0 {
			for _, msg := range p.r.Errors {
				p.inputError(msg)
			}
			errs = len(p.r.Errors)
		}
		p.summary(doc.fail, errs, doc.skip)
	}
}

// header starts a report document: everything before its results.
func (p *policyWriter) header(kind, name, namespace string) {
	e := &p.e
	e.reset()
	e.keyString(0, "apiVersion", PolicyReportAPIVersion)
	e.keyString(0, "kind", kind)
	e.key(0, "metadata")
	e.key(2, "labels")
	e.keyString(4, "app.kubernetes.io/managed-by", "moat")
	e.keyString(2, "name", name)
	if namespace != "" {
		e.keyString(2, "namespace", namespace)
	}
}

// summary ends a report document.
func (p *policyWriter) summary(fail, errs, skip int) {
	e := &p.e
	e.key(0, "summary")
	for _, kv := range [...]struct {
		k string
		n int
	}{{"error", errs}, {"fail", fail}, {"pass", 0}, {"skip", skip}, {"warn", 0}} {
		e.key(2, kv.k)
		e.int(int64(kv.n))
	}
	e.writeIndent(0) // the document's end: a final line break
}

// timestampYAML is the timestamp of a result at t as written after its previous
// value; nil for the zero time, which leaves it out.
func timestampYAML(t time.Time) []byte {
	if t.IsZero() {
		return nil
	}
	var e yamlEmitter
	e.afterValue()
	e.key(2, "timestamp")
	e.key(4, "nanos")
	e.int(int64(int32(t.Nanosecond())))
	e.key(4, "seconds")
	e.int(t.Unix())
	return e.b
}

// writeTimestamp writes the result's timestamp, when the report has a time.
func (p *policyWriter) writeTimestamp() {
	if p.timestamp != nil {
		p.e.b = append(p.e.b, p.timestamp...)
		p.e.afterValue() // as e.int left it
	}
}

// finding writes a finding's result: source "moat", policy the rule ID, rule its slug,
// result "fail", or "skip" for a suppressed finding, severity, category the rule's domain,
// message, the resource, and properties with the field path, file, line, origin,
// framework controls and suppression reason.
func (p *policyWriter) finding(f *finding.Finding) {
	e := &p.e
	e.item(0)
	if c := ruleDomain(f.RuleID); c != "" {
		e.keyString(2, "category", c)
	}
	if f.Message != "" {
		e.keyString(2, "message", f.Message)
	}
	e.keyString(2, "policy", f.RuleID)
	// properties, keys sorted
	e.key(2, "properties")
	fw, s := &f.Frameworks, f.Source
	prop := func(k, v string) { e.keyString(4, k, v) }
	if fw.CIS != "" {
		prop("cis", fw.CIS)
	}
	if s != nil && s.File != "" {
		prop("file", s.File)
	}
	if s != nil && s.Line > 0 {
		e.key(4, "line")
		e.quotedDigits(int64(s.Line))
	}
	if fw.MITRE != "" {
		prop("mitre", fw.MITRE)
	}
	if fw.NSA != "" {
		prop("nsa", fw.NSA)
	}
	if s != nil && s.Origin != "" {
		prop("origin", s.Origin)
	}
	if f.Path != "" {
		prop("path", f.Path)
	}
	if fw.PSS != "" {
		prop("pss", fw.PSS)
	}
	if sup := f.Suppressed; sup != nil {
		prop("suppressedBy", sup.Kind)
		if sup.Reason != "" {
			prop("suppressionReason", sup.Reason)
		}
	}
	prop("title", f.Title)
	e.key(2, "resources")
	res := &f.Resource
	e.item(2)
	if res.APIVersion != "" {
		e.keyString(4, "apiVersion", res.APIVersion)
	}
	e.keyString(4, "kind", res.Kind)
	e.keyString(4, "name", res.Name)
	if res.Namespace != "" {
		e.keyString(4, "namespace", res.Namespace)
	}
	result, scored := "fail", true
	if f.Suppressed != nil {
		result, scored = "skip", false
	}
	e.keyString(2, "result", result)
	if slug := ruleSlug(f.RuleID); slug != "" {
		e.keyString(2, "rule", slug)
	}
	e.key(2, "scored")
	e.bool(scored)
	e.keyString(2, "severity", f.Severity.String())
	e.keyString(2, "source", PolicyReportSource)
	p.writeTimestamp()
}

// inputError writes an input error's result, policy "moat/input" with result "error".
func (p *policyWriter) inputError(msg string) {
	e := &p.e
	e.item(0)
	e.keyString(2, "category", "input")
	if msg != "" {
		e.keyString(2, "message", msg)
	}
	e.keyString(2, "policy", InputErrorPolicy)
	e.keyString(2, "result", "error")
	e.keyString(2, "rule", "input")
	e.key(2, "scored")
	e.bool(false)
	e.keyString(2, "source", PolicyReportSource)
	p.writeTimestamp()
}

package report

import (
	"bufio"
	"io"
	"slices"
	"strconv"
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

func renderPolicyReport(w io.Writer, r *Report) error {
	// Findings are grouped by namespace as indexes; the cluster report (cluster-scoped
	// resources and input errors) comes first, then each namespace's in name order.
	type group struct {
		idx        []int
		fail, skip int
	}
	var cluster group
	namespaced := map[string]*group{}
	for i := range r.Findings {
		f := &r.Findings[i]
		g := &cluster
		if ns := f.Resource.Namespace; ns != "" {
			if g = namespaced[ns]; g == nil {
				g = &group{}
				namespaced[ns] = g
			}
		}
		g.idx = append(g.idx, i)
		if f.Suppressed != nil {
			g.skip++
		} else {
			g.fail++
		}
	}
	nss := make([]string, 0, len(namespaced))
	for ns := range namespaced {
		nss = append(nss, ns)
	}
	slices.Sort(nss)

	p := policyWriter{ts: r.Time}
	bw := bufio.NewWriterSize(w, 64<<10)
	p.e.b = make([]byte, 0, 64<<10)
	clusterName := ClusterPolicyReportName
	if r.ClusterReportName != "" {
		clusterName = r.ClusterReportName
	}
	p.header("ClusterPolicyReport", clusterName, "")
	if len(cluster.idx)+len(r.Errors) == 0 {
		p.e.key(0, "results")
		p.e.emptySeq()
	} else {
		p.e.key(0, "results")
		for _, i := range cluster.idx {
			p.finding(&r.Findings[i])
			if err := p.flush(bw, false); err != nil {
				return err
			}
		}
		for _, msg := range r.Errors {
			p.inputError(msg)
		}
	}
	p.summary(cluster.fail, len(r.Errors), cluster.skip)
	for _, ns := range nss {
		g := namespaced[ns]
		p.e.b = append(p.e.b, "---\n"...)
		p.header("PolicyReport", PolicyReportName(ns), ns)
		p.e.key(0, "results")
		for _, i := range g.idx {
			p.finding(&r.Findings[i])
			if err := p.flush(bw, false); err != nil {
				return err
			}
		}
		p.summary(g.fail, 0, g.skip)
	}
	if err := p.flush(bw, true); err != nil {
		return err
	}
	return bw.Flush()
}

// policyWriter writes the reports' YAML (see yamlstream.go), the keys of every mapping
// in yaml.v2's order, which is sorted.
type policyWriter struct {
	e  yamlEmitter
	ts time.Time
}

// flush hands what is written to w once it is large, or at the end.
func (p *policyWriter) flush(w *bufio.Writer, final bool) error {
	if !final && len(p.e.b) < 32<<10 {
		return nil
	}
	_, err := w.Write(p.e.b)
	p.e.b = p.e.b[:0]
	return err
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

// timestamp writes the result's timestamp, when the report has a time.
func (p *policyWriter) timestamp() {
	if p.ts.IsZero() {
		return
	}
	e := &p.e
	e.key(2, "timestamp")
	e.key(4, "nanos")
	e.int(int64(int32(p.ts.Nanosecond())))
	e.key(4, "seconds")
	e.int(p.ts.Unix())
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
		var num [20]byte
		prop("line", string(strconv.AppendInt(num[:0], int64(s.Line), 10)))
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
	p.timestamp()
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
	p.timestamp()
}

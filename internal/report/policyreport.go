package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"

	"sigs.k8s.io/yaml"

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

// policyReport is a PolicyReport or ClusterPolicyReport, with only the fields Moat writes.
type policyReport struct {
	APIVersion string              `json:"apiVersion"`
	Kind       string              `json:"kind"`
	Metadata   policyReportMeta    `json:"metadata"`
	Summary    policyReportSummary `json:"summary"`
	Results    []policyResult      `json:"results"`
}

type policyReportMeta struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace,omitempty"`
	Labels    map[string]string `json:"labels"`
}

type policyReportSummary struct {
	Pass  int `json:"pass"`
	Fail  int `json:"fail"`
	Warn  int `json:"warn"`
	Error int `json:"error"`
	Skip  int `json:"skip"`
}

type policyResult struct {
	Source    string            `json:"source"`
	Policy    string            `json:"policy"`
	Rule      string            `json:"rule,omitempty"`
	Category  string            `json:"category,omitempty"`
	Severity  string            `json:"severity,omitempty"`
	Timestamp *policyTimestamp  `json:"timestamp,omitempty"`
	Result    string            `json:"result"`
	Scored    bool              `json:"scored"`
	Resources []policyObjectRef `json:"resources,omitempty"`
	Message   string            `json:"message,omitempty"`
	Props     map[string]string `json:"properties,omitempty"`
}

type policyTimestamp struct {
	Seconds int64 `json:"seconds"`
	Nanos   int32 `json:"nanos"`
}

type policyObjectRef struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

func renderPolicyReport(w io.Writer, r *Report) error {
	var ts *policyTimestamp
	if !r.Time.IsZero() {
		ts = &policyTimestamp{Seconds: r.Time.Unix(), Nanos: int32(r.Time.Nanosecond())}
	}
	labels := func() map[string]string {
		return map[string]string{"app.kubernetes.io/managed-by": "moat"}
	}
	cluster := &policyReport{APIVersion: PolicyReportAPIVersion, Kind: "ClusterPolicyReport",
		Metadata: policyReportMeta{Name: ClusterPolicyReportName, Labels: labels()}}
	namespaced := map[string]*policyReport{}
	for _, f := range r.Findings {
		rep := cluster
		if ns := f.Resource.Namespace; ns != "" {
			if rep = namespaced[ns]; rep == nil {
				rep = &policyReport{APIVersion: PolicyReportAPIVersion, Kind: "PolicyReport",
					Metadata: policyReportMeta{Name: PolicyReportName(ns), Namespace: ns, Labels: labels()}}
				namespaced[ns] = rep
			}
		}
		res := policyFinding(f, ts)
		if res.Result == "skip" {
			rep.Summary.Skip++
		} else {
			rep.Summary.Fail++
		}
		rep.Results = append(rep.Results, res)
	}
	for _, e := range r.Errors {
		cluster.Results = append(cluster.Results, policyResult{Source: PolicyReportSource, Policy: InputErrorPolicy,
			Rule: "input", Category: "input", Timestamp: ts, Result: "error", Message: e})
		cluster.Summary.Error++
	}
	reports := []*policyReport{cluster}
	nss := make([]string, 0, len(namespaced))
	for ns := range namespaced {
		nss = append(nss, ns)
	}
	slices.Sort(nss)
	for _, ns := range nss {
		reports = append(reports, namespaced[ns])
	}
	var buf bytes.Buffer
	for i, rep := range reports {
		if rep.Results == nil {
			rep.Results = []policyResult{}
		}
		b, err := marshalYAML(rep)
		if err != nil {
			return err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func policyFinding(f finding.Finding, ts *policyTimestamp) policyResult {
	res := policyResult{
		Source:    PolicyReportSource,
		Policy:    f.RuleID,
		Rule:      ruleSlug(f.RuleID),
		Category:  ruleDomain(f.RuleID),
		Severity:  f.Severity.String(),
		Timestamp: ts,
		Result:    "fail",
		Scored:    true,
		Resources: []policyObjectRef{{
			APIVersion: f.Resource.APIVersion, Kind: f.Resource.Kind, Namespace: f.Resource.Namespace, Name: f.Resource.Name,
		}},
		Message: f.Message,
		Props:   map[string]string{"title": f.Title},
	}
	if f.Path != "" {
		res.Props["path"] = f.Path
	}
	if s := f.Source; s != nil {
		if s.File != "" {
			res.Props["file"] = s.File
		}
		if s.Line > 0 {
			res.Props["line"] = strconv.Itoa(s.Line)
		}
		if s.Origin != "" {
			res.Props["origin"] = s.Origin
		}
	}
	for _, ref := range references(f.Frameworks) {
		res.Props[ref.Key] = ref.Control
	}
	if s := f.Suppressed; s != nil {
		res.Result, res.Scored = "skip", false
		res.Props["suppressedBy"] = s.Kind
		if s.Reason != "" {
			res.Props["suppressionReason"] = s.Reason
		}
	}
	return res
}

// marshalYAML is yaml.Marshal (JSON, then YAML), except that a string may hold the
// characters the YAML reader refuses: sigs.k8s.io/yaml reads the JSON back with a YAML
// parser, which fails on a raw DEL, C1 control (but NEL), U+FFFE or U+FFFF ("control
// characters are not allowed") and reads them escaped; the YAML writer escapes them again.
// Without this one crafted name in a manifest made the whole report fail.
func marshalYAML(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("error marshaling into JSON: %w", err)
	}
	return yaml.JSONToYAML(escapeForYAMLReader(j))
}

// escapeForYAMLReader writes the characters the YAML reader refuses as JSON \u escapes.
// Outside strings JSON is ASCII, so every one of them is inside a string.
func escapeForYAMLReader(j []byte) []byte {
	refused := func(r rune) bool {
		return r == 0x7f || (r >= 0x80 && r <= 0x9f && r != 0x85) || r == 0xfffe || r == 0xffff
	}
	if !bytes.ContainsFunc(j, refused) {
		return j
	}
	out := make([]byte, 0, len(j)+16)
	for i := 0; i < len(j); {
		r, n := utf8.DecodeRune(j[i:])
		if refused(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, j[i:i+n]...)
		}
		i += n
	}
	return out
}

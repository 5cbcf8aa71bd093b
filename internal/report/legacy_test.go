package report

// The renderers as they were before they were streamed: the references the streaming
// writers must match byte for byte (TestPolicyReportStreamMatchesYAML and its kin).

import (
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/yaml"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

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

func renderPolicyReportLegacy(w io.Writer, r *Report) error {
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
	// One change from the renderer as it was: NEL (U+0085) is escaped too. The YAML
	// reader accepts it raw, but as a line break inside the JSON string, which it folded
	// into a space (or failed on, before "--- "); the streamed report keeps it.
	refused := func(r rune) bool {
		return r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfffe || r == 0xffff
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

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifResult struct {
	RuleID              string              `json:"ruleId"`
	RuleIndex           int                 `json:"ruleIndex"`
	Level               string              `json:"level"`
	Message             sarifText           `json:"message"`
	Locations           []sarifLocation     `json:"locations"`
	PartialFingerprints map[string]string   `json:"partialFingerprints"`
	Suppressions        []sarifSuppression  `json:"suppressions,omitempty"`
	Properties          sarifResultProperty `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations"`
	// Message says why a location has no region (SARIF 2.1.0 §3.28.5): a region
	// must have a start (startLine, charOffset or byteOffset; erratum #462), and a
	// chart field no template line wrote has none to give.
	Message    *sarifText        `json:"message,omitempty"`
	Properties *sarifLocProperty `json:"properties,omitempty"`
}

type sarifLocProperty struct {
	// Source names a place that is no file a viewer can open (<stdin>).
	Source string `json:"source,omitempty"`
	// Origin is what produced the file: helm:CHART or kustomize:DIR.
	Origin string `json:"origin,omitempty"`
	// LineUnknown says why the location has no line: "rendered by template code".
	LineUnknown string `json:"lineUnknown,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

type sarifResultProperty struct {
	Severity   string            `json:"severity"`
	Resource   finding.Resource  `json:"resource"`
	Path       string            `json:"path,omitempty"`
	Frameworks map[string]string `json:"frameworks,omitempty"`
}

func renderSARIFLegacy(w io.Writer, r *Report) error {
	ix := indexRules(r)
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "moat", Version: r.ToolVersion, InformationURI: InformationURI,
			Rules: make([]sarifRuleDescr, 0, len(ix.Rules)),
		}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: len(r.Errors) == 0}},
		Results:     make([]sarifResult, 0, len(r.Findings)),
	}
	for _, m := range ix.Rules {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule(m))
	}
	inv := &run.Invocations[0]
	for _, e := range r.Errors {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{"error", sarifText{Text: e}})
	}
	for _, e := range r.Warnings {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{"warning", sarifText{Text: e}})
	}
	for _, f := range r.Findings {
		run.Results = append(run.Results, sarifFinding(f, ix.Index(f.RuleID)))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: SARIFSchemaURI, Version: "2.1.0", Runs: []sarifRun{run}})
}

func sarifFinding(f finding.Finding, ruleIndex int) sarifResult {
	loc := sarifLocation{LogicalLocations: []sarifLogical{{
		Name: f.Resource.Name, FullyQualifiedName: f.Resource.String(), Kind: "resource",
	}}}
	if s := f.Source; s != nil && s.File != "" {
		if isPseudoFile(s.File) {
			loc.Properties = &sarifLocProperty{Source: s.String()}
		} else {
			loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: artifactLocation(s.File)}
			if s.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: s.Line}
			}
		}
		if s.Origin != "" {
			if loc.Properties == nil {
				loc.Properties = &sarifLocProperty{}
			}
			loc.Properties.Origin = s.Origin
		}
		if s.Line <= 0 && s.LineUnknown != "" {
			// No region rather than a wrong one; the location says why.
			loc.Message = &sarifText{Text: "line unknown: " + s.LineUnknown}
			if loc.Properties == nil {
				loc.Properties = &sarifLocProperty{}
			}
			loc.Properties.LineUnknown = s.LineUnknown
		}
	}
	res := sarifResult{
		RuleID:              f.RuleID,
		RuleIndex:           ruleIndex,
		Level:               sarifLevel(f.Severity),
		Message:             sarifText{Text: f.Resource.String() + ": " + f.Message},
		Locations:           []sarifLocation{loc},
		PartialFingerprints: map[string]string{fingerprintKey: Fingerprint(f)},
		Properties: sarifResultProperty{
			Severity: f.Severity.String(), Resource: f.Resource, Path: f.Path, Frameworks: frameworkMap(f.Frameworks),
		},
	}
	if s := f.Suppressed; s != nil {
		kind := "external"
		if s.Kind == "annotation" {
			kind = "inSource"
		}
		res.Suppressions = []sarifSuppression{{Kind: kind, Status: "accepted", Justification: s.Reason}}
	}
	return res
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
	SystemErr  *junitText       `xml:"system-err,omitempty"`
}

// junitText is element text written as CDATA, so that multi-line text stays readable.
type junitText struct {
	Text string `xml:",cdata"`
}

type junitProperties struct {
	Props []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func renderJUnitLegacy(w io.Writer, r *Report) error {
	ix := indexRules(r)
	byRule := map[string][]finding.Finding{}
	for _, f := range r.Findings {
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}
	doc := junitSuites{Name: "moat", Time: "0"}
	for _, m := range ix.Rules {
		doc.Suites = append(doc.Suites, junitRuleSuite(m, byRule[m.ID]))
	}
	if len(r.Errors)+len(r.Warnings) > 0 {
		doc.Suites = append(doc.Suites, junitInputSuite(r))
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitRuleSuite(m rule.Meta, fs []finding.Finding) junitSuite {
	s := junitSuite{Name: m.ID, Time: "0", Properties: &junitProperties{Props: []junitProperty{
		{"title", m.Title}, {"severity", m.Severity.String()},
	}}}
	for _, ref := range references(m.Frameworks) {
		s.Properties.Props = append(s.Properties.Props, junitProperty{ref.Key, ref.Control})
	}
	// One testcase per resource, in resource order.
	var resources []finding.Resource
	byRes := map[finding.Resource][]finding.Finding{}
	for _, f := range fs {
		if _, ok := byRes[f.Resource]; !ok {
			resources = append(resources, f.Resource)
		}
		byRes[f.Resource] = append(byRes[f.Resource], f)
	}
	slices.SortFunc(resources, compareResources)
	for _, res := range resources {
		s.Cases = append(s.Cases, junitFindingCase(m, res, byRes[res]))
	}
	if len(s.Cases) == 0 {
		s.Cases = []junitCase{{Name: NoFindingsCase, Classname: m.ID, Time: "0"}}
	}
	for _, c := range s.Cases {
		s.Tests++
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Error != nil:
			s.Errors++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	return s
}

func junitFindingCase(m rule.Meta, res finding.Resource, fs []finding.Finding) junitCase {
	c := junitCase{Name: res.String(), Classname: m.ID, Time: "0"}
	for _, f := range fs {
		if f.Source != nil && !isPseudoFile(f.Source.File) {
			c.File, c.Line = f.Source.File, f.Source.Line
			break
		}
	}
	var open, suppressed []finding.Finding
	for _, f := range fs {
		if f.Suppressed == nil {
			open = append(open, f)
		} else {
			suppressed = append(suppressed, f)
		}
	}
	if len(open) == 0 {
		var reasons []string
		for _, f := range suppressed {
			if t := suppressionText(f.Suppressed); !slices.Contains(reasons, t) {
				reasons = append(reasons, t)
			}
		}
		c.Skipped = &junitSkipped{Message: strings.Join(reasons, "; ")}
		return c
	}
	worst := open[0].Severity
	messages := make([]string, len(open))
	var body strings.Builder
	for i, f := range open {
		worst = max(worst, f.Severity)
		messages[i] = f.Message
		junitFindingText(&body, f)
	}
	for _, f := range suppressed {
		junitFindingText(&body, f)
	}
	if rem := oneLine(cmp.Or(m.Remediation, open[0].Remediation)); rem != "" {
		fmt.Fprintf(&body, "Remediation: %s\n", rem)
	}
	c.Failure = &junitProblem{Message: strings.Join(messages, "; "), Type: worst.String(), Text: xmlText(body.String())}
	return c
}

// junitFindingText writes one finding of a failure's body.
func junitFindingText(b *strings.Builder, f finding.Finding) {
	fmt.Fprintf(b, "[%s] %s\n", f.Severity, f.Message)
	if f.Suppressed != nil {
		fmt.Fprintf(b, "  %s\n", suppressionText(f.Suppressed))
	}
	if f.Path != "" {
		fmt.Fprintf(b, "  path: %s\n", f.Path)
	}
	if f.Source != nil && f.Source.File != "" {
		fmt.Fprintf(b, "  at: %s", f.Source)
		if f.Source.Origin != "" {
			fmt.Fprintf(b, " (%s)", f.Source.Origin)
		}
		b.WriteByte('\n')
	}
}

func junitInputSuite(r *Report) junitSuite {
	s := junitSuite{Name: InputsSuite, Time: "0"}
	for _, e := range r.Errors {
		// Errors read "file:line: problem"; the place names the testcase.
		name := e
		if i := strings.Index(e, ": "); i > 0 {
			name = e[:i]
		}
		s.Cases = append(s.Cases, junitCase{Name: name, Classname: InputsSuite, Time: "0",
			Error: &junitProblem{Message: e, Type: "input"}})
		s.Errors++
	}
	if len(s.Cases) == 0 {
		s.Cases = []junitCase{{Name: "all inputs read", Classname: InputsSuite, Time: "0"}}
	}
	s.Tests = len(s.Cases)
	if len(r.Warnings) > 0 {
		s.SystemErr = &junitText{xmlText("warning: " + strings.Join(r.Warnings, "\nwarning: ") + "\n")}
	}
	return s
}

package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// SARIF 2.1.0 output (OASIS Static Analysis Results Interchange Format), as GitHub code
// scanning and other SARIF viewers read it:
//
//   - tool.driver.rules holds one reportingDescriptor per rule that ran, sorted by ID; a
//     result points to its rule by ruleId and ruleIndex.
//   - A result's level follows its severity: critical and high are "error", medium is
//     "warning", low and info are "note".
//   - Each rule carries properties["security-severity"], the score GitHub code scanning
//     uses to rank security alerts (above 9.0 critical, 7.0 to 8.9 high, 4.0 to 6.9
//     medium, 0.1 to 3.9 low): critical 9.5, high 8.0, medium 5.5, low 3.0, info 1.0.
//   - Every result has one location. Its physicalLocation names the manifest file (a
//     relative path stays relative to %SRCROOT%) and line when the object came from a
//     file; its logicalLocation names the Kubernetes resource always, so that findings
//     on cluster objects, which have no file, still say where they are.
//   - partialFingerprints["moat/v1"] is a hash of rule, resource and field path: it does
//     not change when lines move or messages are reworded, so viewers track a finding
//     across runs.
//   - A suppressed finding carries a suppression: "external" for an exception in the
//     config file, "inSource" for an annotation on the object, with the reason as
//     justification.
//   - Input errors and warnings are toolExecutionNotifications of the one invocation,
//     whose executionSuccessful is false when any input could not be read.

// SARIFSchemaURI is the $schema of the output: the OASIS SARIF 2.1.0 schema (errata 01).
const SARIFSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// InformationURI is where people learn about Moat.
const InformationURI = "https://github.com/moat-dev/moat"

// fingerprintKey names Moat's partial fingerprint; the version changes if its inputs do.
const fingerprintKey = "moat/v1"

// securitySeverity is GitHub code scanning's score of each severity (see above).
var securitySeverity = map[finding.Severity]string{
	finding.Critical: "9.5", finding.High: "8.0", finding.Medium: "5.5", finding.Low: "3.0", finding.Info: "1.0",
}

func sarifLevel(s finding.Severity) string {
	switch {
	case s >= finding.High:
		return "error"
	case s == finding.Medium:
		return "warning"
	default:
		return "note"
	}
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

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string           `json:"name"`
	Version        string           `json:"version,omitempty"`
	InformationURI string           `json:"informationUri"`
	Rules          []sarifRuleDescr `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRuleDescr struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      *sarifText        `json:"fullDescription,omitempty"`
	Help                 *sarifText        `json:"help,omitempty"`
	DefaultConfiguration sarifConfig       `json:"defaultConfiguration"`
	Properties           sarifRuleProperty `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifRuleProperty struct {
	Tags             []string          `json:"tags"`
	SecuritySeverity string            `json:"security-severity"`
	Severity         string            `json:"severity"`
	Frameworks       map[string]string `json:"frameworks,omitempty"`
	Kinds            []string          `json:"kinds,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
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

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
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

func renderSARIF(w io.Writer, r *Report) error {
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

func sarifRule(m rule.Meta) sarifRuleDescr {
	d := sarifRuleDescr{
		ID:                   m.ID,
		Name:                 pascal(ruleSlug(m.ID)),
		ShortDescription:     sarifText{Text: m.Title},
		DefaultConfiguration: sarifConfig{Level: sarifLevel(m.Severity)},
		Properties: sarifRuleProperty{
			Tags:             []string{"security", "kubernetes", ruleDomain(m.ID)},
			SecuritySeverity: securitySeverity[m.Severity],
			Severity:         m.Severity.String(),
			Frameworks:       frameworkMap(m.Frameworks),
			Kinds:            m.Kinds,
		},
	}
	if d.ShortDescription.Text == "" {
		d.ShortDescription.Text = m.ID
	}
	if desc := oneLine(m.Description); desc != "" {
		d.FullDescription = &sarifText{Text: desc}
	}
	refs := references(m.Frameworks)
	for _, ref := range refs {
		d.Properties.Tags = append(d.Properties.Tags, ref.Key+":"+ref.Control)
	}
	if m.Remediation != "" || len(refs) > 0 {
		d.Help = sarifHelp(oneLine(m.Remediation), refs)
	}
	return d
}

// sarifHelp is the help text viewers show beside a result: how to fix it and the
// framework controls that ask for it.
func sarifHelp(remediation string, refs []reference) *sarifText {
	var text, md strings.Builder
	if remediation != "" {
		fmt.Fprintf(&text, "Remediation: %s", remediation)
		fmt.Fprintf(&md, "**Remediation:** %s", remediation)
	}
	if len(refs) > 0 {
		if remediation != "" {
			text.WriteString("\n\n")
			md.WriteString("\n\n")
		}
		text.WriteString("References:")
		md.WriteString("**References:**\n")
		for _, ref := range refs {
			fmt.Fprintf(&text, "\n- %s: %s", ref.Framework, ref.Control)
			control := "`" + ref.Control + "`"
			if ref.Key == "mitre" {
				control = fmt.Sprintf("[%s](%s)", ref.Control, mitreURL(ref.Control))
			}
			fmt.Fprintf(&md, "\n- %s: %s", ref.Framework, control)
		}
	}
	return &sarifText{Text: text.String(), Markdown: md.String()}
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

// Fingerprint identifies a finding across runs: a hash of its rule, resource and field
// path, which stay the same when lines move or messages change.
func Fingerprint(f finding.Finding) string {
	r := f.Resource
	sum := sha256.Sum256([]byte(strings.Join([]string{f.RuleID, r.APIVersion, r.Kind, r.Namespace, r.Name, f.Path}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// isPseudoFile tells names such as <stdin> that stand for no file a viewer can open.
func isPseudoFile(name string) bool {
	return strings.HasPrefix(name, "<") && strings.HasSuffix(name, ">")
}

// artifactLocation turns a file name as the user gave it into a SARIF artifact location:
// a relative path stays relative (to %SRCROOT%, the directory the scan ran in) with
// forward slashes; an absolute path becomes a file URI.
func artifactLocation(name string) sarifArtifact {
	p := filepath.ToSlash(name)
	if filepath.IsAbs(name) || strings.HasPrefix(p, "/") {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // C:/x on Windows
		}
		return sarifArtifact{URI: (&url.URL{Scheme: "file", Path: p}).String()}
	}
	return sarifArtifact{URI: (&url.URL{Path: p}).String(), URIBaseID: "%SRCROOT%"}
}

// frameworkMap gives the framework controls keyed by short framework name.
func frameworkMap(fw finding.Frameworks) map[string]string {
	refs := references(fw)
	if len(refs) == 0 {
		return nil
	}
	m := make(map[string]string, len(refs))
	for _, ref := range refs {
		m[ref.Key] = ref.Control
	}
	return m
}

// pascal writes a slug in Pascal case, as SARIF advises for rule names:
// privileged-container gives PrivilegedContainer.
func pascal(slug string) string {
	var b strings.Builder
	for _, part := range strings.Split(slug, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

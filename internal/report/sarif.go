package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/jsonenc"
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

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

// The SARIF log is written a result at a time, each appended by hand in exactly the
// bytes encoding/json's indenting encoder gave for the structs above
// (TestSARIFStreamMatchesEncoder), those of a large report in blocks on several
// goroutines (blocks.go); the tool's rules and the invocation, small, still go through
// the encoder.
func renderSARIF(w io.Writer, r *Report) error { return writeSARIF(w, r, parallel{}) }

// writeSARIF writes the log, its results encoded in blocks as par says.
func writeSARIF(w io.Writer, r *Report, par parallel) error {
	ix := indexRules(r)
	driver := sarifDriver{Name: "moat", Version: r.ToolVersion, InformationURI: InformationURI,
		Rules: make([]sarifRuleDescr, 0, len(ix.Rules))}
	for _, m := range ix.Rules {
		driver.Rules = append(driver.Rules, sarifRule(m))
	}
	inv := sarifInvocation{ExecutionSuccessful: len(r.Errors) == 0}
	for _, e := range r.Errors {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{"error", sarifText{Text: e}})
	}
	for _, e := range r.Warnings {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{"warning", sarifText{Text: e}})
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	buf := make([]byte, 0, 64<<10)
	buf = append(buf, "{\n  \"$schema\": "...)
	buf = jsonenc.AppendString(buf, SARIFSchemaURI)
	buf = append(buf, ",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": "...)
	var err error
	if buf, err = appendIndented(buf, sarifTool{Driver: driver}, "      "); err != nil {
		return err
	}
	buf = append(buf, ",\n      \"invocations\": "...)
	if buf, err = appendIndented(buf, []sarifInvocation{inv}, "      "); err != nil {
		return err
	}
	buf = append(buf, ",\n      \"results\": ["...)
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	fs := r.Findings
	par = par.withDefaults()
	bounds := evenBounds(len(fs), par.blockSize)
	err = par.writeBlocks(bw, len(bounds)-1, len(fs), func() blockEncoder {
		sw := sarifWriter{ix: ix, artifacts: map[string][]byte{}, rules: map[string]*sarifRuleFields{}}
		return func(b []byte, k int) []byte {
			for i := bounds[k]; i < bounds[k+1]; i++ {
				if i > 0 {
					b = append(b, ',')
				}
				f := &fs[i]
				b = sw.appendResult(append(b, "\n"+sarifInd0...), f)
			}
			return b
		}
	})
	if err != nil {
		return err
	}
	buf = buf[:0]
	if len(fs) > 0 {
		buf = append(buf, "\n      "...)
	}
	buf = append(buf, "]\n    }\n  ]\n}\n"...)
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	return bw.Flush()
}

// sarifWriter keeps what results share, written: the artifact location of each file,
// and the fields of each rule's results. Each goroutine that encodes results has its own.
type sarifWriter struct {
	ix        *ruleIndex
	artifacts map[string][]byte
	rules     map[string]*sarifRuleFields
	scratch   []byte
}

// sarifRuleFields are fields of a rule's results, written.
type sarifRuleFields struct {
	head       []byte // the ruleId and ruleIndex fields
	frameworks finding.Frameworks
	fwField    []byte // the properties' frameworks field of results with these frameworks
}

// ruleFields gives the written fields of f's rule; the frameworks field is f's rule's,
// or, for a finding with a control of its own, its own.
func (sw *sarifWriter) ruleFields(f *finding.Finding) *sarifRuleFields {
	c := sw.rules[f.RuleID]
	if c == nil {
		c = &sarifRuleFields{head: appendField(nil, sarifInd1, "ruleId", f.RuleID, false)}
		c.head = append(c.head, ",\n"+sarifInd1+`"ruleIndex": `...)
		c.head = strconv.AppendInt(c.head, int64(sw.ix.Index(f.RuleID)), 10)
		sw.rules[f.RuleID] = c
	} else if c.frameworks == f.Frameworks {
		return c
	}
	c.frameworks, c.fwField = f.Frameworks, appendSARIFFrameworks(nil, &f.Frameworks)
	return c
}

// The indents of a result's parts: the result's fields, its location, the location's
// fields, and so on down.
const (
	sarifInd0 = "        "
	sarifInd1 = sarifInd0 + "  "
	sarifInd2 = sarifInd1 + "  "
	sarifInd3 = sarifInd2 + "  "
	sarifInd4 = sarifInd3 + "  "
	sarifInd5 = sarifInd4 + "  "
)

// appendResult appends a finding's result object, its opening brace at the current
// position: what sarifFinding made and the encoder wrote.
func (sw *sarifWriter) appendResult(b []byte, f *finding.Finding) []byte {
	rf := sw.ruleFields(f)
	b = append(b, '{')
	b = append(b, rf.head...)
	b = appendField(b, sarifInd1, "level", sarifLevel(f.Severity), true)
	b = append(b, ",\n"+sarifInd1+`"message": {`...)
	b = append(b, "\n"+sarifInd2+`"text": "`...)
	b = appendResourceName(b, &f.Resource)
	b = append(b, ": "...)
	b = jsonenc.AppendContent(b, f.Message)
	b = append(b, '"')
	b = appendClose(b, sarifInd1)

	// The one location.
	b = append(b, ",\n"+sarifInd1+`"locations": [`+"\n"+sarifInd2+"{"...)
	var pseudo, lineUnknown bool
	s := f.Source
	if s != nil && s.File != "" {
		pseudo = isPseudoFile(s.File)
		lineUnknown = s.Line <= 0 && s.LineUnknown != ""
		if !pseudo {
			b = append(b, "\n"+sarifInd3+`"physicalLocation": {`+"\n"+sarifInd4+`"artifactLocation": `...)
			b = append(b, sw.artifact(s.File)...)
			if s.Line > 0 {
				b = append(b, ",\n"+sarifInd4+`"region": {`+"\n"+sarifInd5+`"startLine": `...)
				b = strconv.AppendInt(b, int64(s.Line), 10)
				b = appendClose(b, sarifInd4)
			}
			b = appendClose(b, sarifInd3)
			b = append(b, ',')
		}
	}
	b = append(b, "\n"+sarifInd3+`"logicalLocations": [`+"\n"+sarifInd4+"{"...)
	b = appendField(b, sarifInd5, "name", f.Resource.Name, false)
	b = append(b, ",\n"+sarifInd5+`"fullyQualifiedName": "`...)
	b = appendResourceName(b, &f.Resource)
	b = append(b, '"')
	b = append(b, ",\n"+sarifInd5+`"kind": "resource"`...)
	b = appendClose(b, sarifInd4)
	b = append(b, "\n"+sarifInd3+"]"...)
	if lineUnknown {
		b = append(b, ",\n"+sarifInd3+`"message": {`+"\n"+sarifInd4+`"text": "line unknown: `...)
		b = jsonenc.AppendContent(b, s.LineUnknown)
		b = append(b, '"')
		b = appendClose(b, sarifInd3)
	}
	if s != nil && s.File != "" && (pseudo || s.Origin != "" || lineUnknown) {
		b = append(b, ",\n"+sarifInd3+`"properties": {`...)
		comma := false
		if pseudo {
			b = append(b, "\n"+sarifInd4+`"source": "`...)
			b = jsonenc.AppendContent(b, s.File)
			if s.Line > 0 {
				b = append(b, ':')
				b = strconv.AppendInt(b, int64(s.Line), 10)
			}
			b = append(b, '"')
			comma = true
		}
		if s.Origin != "" {
			b = appendField(b, sarifInd4, "origin", s.Origin, comma)
			comma = true
		}
		if lineUnknown {
			b = appendField(b, sarifInd4, "lineUnknown", s.LineUnknown, comma)
		}
		b = appendClose(b, sarifInd3)
	}
	b = appendClose(b, sarifInd2)
	b = append(b, "\n"+sarifInd1+"]"...)

	b = append(b, ",\n"+sarifInd1+`"partialFingerprints": {`+"\n"+sarifInd2+`"`+fingerprintKey+`": "`...)
	b = sw.appendFingerprint(b, f)
	b = append(b, '"')
	b = appendClose(b, sarifInd1)
	if sup := f.Suppressed; sup != nil {
		kind := "external"
		if sup.Kind == "annotation" {
			kind = "inSource"
		}
		b = append(b, ",\n"+sarifInd1+`"suppressions": [`+"\n"+sarifInd2+"{"...)
		b = appendField(b, sarifInd3, "kind", kind, false)
		b = append(b, ",\n"+sarifInd3+`"status": "accepted"`...)
		if sup.Reason != "" {
			b = appendField(b, sarifInd3, "justification", sup.Reason, true)
		}
		b = appendClose(b, sarifInd2)
		b = append(b, "\n"+sarifInd1+"]"...)
	}
	b = append(b, ",\n"+sarifInd1+`"properties": {`...)
	b = appendField(b, sarifInd2, "severity", f.Severity.String(), false)
	b = append(b, ",\n"+sarifInd2+`"resource": {`...)
	res := &f.Resource
	b = appendField(b, sarifInd3, "apiVersion", res.APIVersion, false)
	b = appendField(b, sarifInd3, "kind", res.Kind, true)
	if res.Namespace != "" {
		b = appendField(b, sarifInd3, "namespace", res.Namespace, true)
	}
	b = appendField(b, sarifInd3, "name", res.Name, true)
	b = appendClose(b, sarifInd2)
	if f.Path != "" {
		b = appendField(b, sarifInd2, "path", f.Path, true)
	}
	b = append(b, rf.fwField...)
	b = appendClose(b, sarifInd1)
	return appendClose(b, sarifInd0)
}

// appendSARIFFrameworks appends a result's frameworks property, a map (its keys
// sorted), when it has any.
func appendSARIFFrameworks(b []byte, fw *finding.Frameworks) []byte {
	if fw.PSS == "" && fw.CIS == "" && fw.NSA == "" && fw.MITRE == "" {
		return b
	}
	b = append(b, ",\n"+sarifInd2+`"frameworks": {`...)
	comma := false
	for _, kv := range [...]struct{ k, v string }{{"cis", fw.CIS}, {"mitre", fw.MITRE}, {"nsa", fw.NSA}, {"pss", fw.PSS}} {
		if kv.v != "" {
			b = appendField(b, sarifInd3, kv.k, kv.v, comma)
			comma = true
		}
	}
	return appendClose(b, sarifInd2)
}

// artifact is a file's artifactLocation object as the encoder wrote it at its depth in
// a result, made once a file.
func (sw *sarifWriter) artifact(file string) []byte {
	if a, ok := sw.artifacts[file]; ok {
		return a
	}
	loc := artifactLocation(file)
	a := []byte{'{'}
	a = appendField(a, sarifInd5, "uri", loc.URI, false)
	if loc.URIBaseID != "" {
		a = appendField(a, sarifInd5, "uriBaseId", loc.URIBaseID, true)
	}
	a = appendClose(a, sarifInd4)
	sw.artifacts[file] = a
	return a
}

// appendResourceName appends Resource.String() as the inside of a JSON string. Each part
// is escaped alone: the slashes between them are ASCII, so no character spans two parts.
func appendResourceName(b []byte, r *finding.Resource) []byte {
	b = jsonenc.AppendContent(b, r.Kind)
	b = append(b, '/')
	if r.Namespace != "" {
		b = jsonenc.AppendContent(b, r.Namespace)
		b = append(b, '/')
	}
	return jsonenc.AppendContent(b, r.Name)
}

// appendFingerprint appends Fingerprint(f), hashing in sw's own buffer.
func (sw *sarifWriter) appendFingerprint(b []byte, f *finding.Finding) []byte {
	r := &f.Resource
	in := sw.scratch[:0]
	for i, part := range [...]string{f.RuleID, r.APIVersion, r.Kind, r.Namespace, r.Name, f.Path} {
		if i > 0 {
			in = append(in, 0)
		}
		in = append(in, part...)
	}
	sw.scratch = in
	sum := sha256.Sum256(in)
	return hex.AppendEncode(b, sum[:16])
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

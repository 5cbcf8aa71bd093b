package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strconv"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/jsonenc"
)

// The JSON document is written a finding at a time, each appended by hand in exactly
// the bytes encoding/json's indenting encoder gives (TestJSONStreamMatchesEncoder
// holds the two together). Encoding the whole document and then indenting it was a
// fifth of a 10,000-object scan's time, and held the document twice in memory. The
// findings of a large report are appended in blocks on several goroutines (blocks.go).

// writeJSONDocument streams doc to w, its findings encoded in blocks as par says.
func writeJSONDocument(w io.Writer, doc *JSONDocument, par parallel) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	buf := make([]byte, 0, 4096)
	buf = append(buf, "{\n  \"version\": "...)
	buf = strconv.AppendInt(buf, int64(doc.Version), 10)
	buf = append(buf, ",\n  \"summary\": "...)
	var err error
	if buf, err = appendIndented(buf, doc.Summary, "  "); err != nil {
		return err
	}
	buf = append(buf, ",\n  \"findings\": ["...)
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	fs := doc.Findings
	par = par.withDefaults()
	bounds := evenBounds(len(fs), par.blockSize)
	err = par.writeBlocks(bw, len(bounds)-1, len(fs), func() blockEncoder {
		jf := jsonFindings{}
		return func(b []byte, k int) []byte {
			for i := bounds[k]; i < bounds[k+1]; i++ {
				if i > 0 {
					b = append(b, ',')
				}
				b = jf.appendFinding(append(b, "\n"+jsonInd0...), &fs[i])
			}
			return b
		}
	})
	if err != nil {
		return err
	}
	buf = buf[:0]
	if len(fs) > 0 {
		buf = append(buf, "\n  "...)
	}
	buf = append(buf, ']')
	for _, part := range []struct {
		name string
		v    any
		n    int
	}{{"errors", doc.Errors, len(doc.Errors)}, {"warnings", doc.Warnings, len(doc.Warnings)}, {"skipped", doc.Skipped, len(doc.Skipped)}} {
		if part.n == 0 {
			continue // omitempty
		}
		buf = append(buf, ",\n  \""+part.name+"\": "...)
		if buf, err = appendIndented(buf, part.v, "  "); err != nil {
			return err
		}
	}
	buf = append(buf, "\n}\n"...)
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	return bw.Flush()
}

// appendIndented appends v as encoding/json indents it at this depth: the small parts
// of the document, where its speed does not matter.
func appendIndented(dst []byte, v any, prefix string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent(prefix, "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// The indents of a finding in the document: its braces, its fields, and the fields of
// its resource, source, frameworks and suppression.
const (
	jsonInd0 = "    "
	jsonInd1 = jsonInd0 + "  "
	jsonInd2 = jsonInd1 + "  "
)

// jsonFindings appends findings; each goroutine that encodes them has its own. The
// findings of a rule mostly share their title, frameworks and remediation: those fields
// are written once a rule, by rule ID, and copied after.
type jsonFindings map[string]*jsonRuleFields

// jsonRuleFields are fields of a rule's findings, written.
type jsonRuleFields struct {
	title, remediation string
	frameworks         finding.Frameworks
	titleField         []byte // the title field
	tail               []byte // the frameworks and remediation fields
}

// ruleFields gives f's title, frameworks and remediation fields written: its rule's,
// or, for a finding with its own (a control of its own, say), its own.
func (jf jsonFindings) ruleFields(f *finding.Finding) *jsonRuleFields {
	c := jf[f.RuleID]
	if c == nil || c.title != f.Title || c.remediation != f.Remediation || c.frameworks != f.Frameworks {
		c = &jsonRuleFields{title: f.Title, remediation: f.Remediation, frameworks: f.Frameworks,
			titleField: appendField(nil, jsonInd1, "title", f.Title, true),
			tail:       appendFrameworksAndRemediation(nil, f)}
		jf[f.RuleID] = c
	}
	return c
}

// appendFinding appends one finding as an indented object whose opening brace is at
// the current position.
func (jf jsonFindings) appendFinding(b []byte, f *finding.Finding) []byte {
	rf := jf.ruleFields(f)
	b = append(b, '{')
	b = appendField(b, jsonInd1, "ruleID", f.RuleID, false)
	b = appendField(b, jsonInd1, "severity", f.Severity.String(), true)
	b = append(b, rf.titleField...)
	b = appendField(b, jsonInd1, "message", f.Message, true)
	b = append(b, ",\n"+jsonInd1+`"resource": {`...)
	r := &f.Resource
	b = appendField(b, jsonInd2, "apiVersion", r.APIVersion, false)
	b = appendField(b, jsonInd2, "kind", r.Kind, true)
	if r.Namespace != "" {
		b = appendField(b, jsonInd2, "namespace", r.Namespace, true)
	}
	b = appendField(b, jsonInd2, "name", r.Name, true)
	b = appendClose(b, jsonInd1)
	if f.Path != "" {
		b = appendField(b, jsonInd1, "path", f.Path, true)
	}
	if s := f.Source; s != nil {
		b = append(b, ",\n"+jsonInd1+`"source": {`...)
		b = appendField(b, jsonInd2, "file", s.File, false)
		if s.Line != 0 {
			b = append(b, ",\n"+jsonInd2+`"line": `...)
			b = strconv.AppendInt(b, int64(s.Line), 10)
		}
		if s.Origin != "" {
			b = appendField(b, jsonInd2, "origin", s.Origin, true)
		}
		if s.LineUnknown != "" {
			b = appendField(b, jsonInd2, "lineUnknown", s.LineUnknown, true)
		}
		b = appendClose(b, jsonInd1)
	}
	b = append(b, rf.tail...)
	if s := f.Suppressed; s != nil {
		b = append(b, ",\n"+jsonInd1+`"suppressed": {`...)
		b = appendField(b, jsonInd2, "kind", s.Kind, false)
		b = appendField(b, jsonInd2, "reason", s.Reason, true)
		b = appendClose(b, jsonInd1)
	}
	return appendClose(b, jsonInd0)
}

// appendFrameworksAndRemediation appends a finding's frameworks and remediation fields.
func appendFrameworksAndRemediation(b []byte, f *finding.Finding) []byte {
	b = append(b, ",\n"+jsonInd1+`"frameworks": {`...)
	fw := &f.Frameworks
	first := true
	for _, kv := range [...]struct{ k, v string }{{"pss", fw.PSS}, {"cis", fw.CIS}, {"nsa", fw.NSA}, {"mitre", fw.MITRE}} {
		if kv.v != "" {
			b = appendField(b, jsonInd2, kv.k, kv.v, !first)
			first = false
		}
	}
	if first {
		b = append(b, '}') // encoding/json writes an empty object as {}
	} else {
		b = appendClose(b, jsonInd1)
	}
	return appendField(b, jsonInd1, "remediation", f.Remediation, true)
}

// appendField appends `"key": "value"` on a new line at indent in, after a comma
// unless it is the object's first field.
func appendField(b []byte, in, key, value string, comma bool) []byte {
	if comma {
		b = append(b, ',')
	}
	b = append(b, '\n')
	b = append(b, in...)
	b = append(b, '"')
	b = append(b, key...)
	b = append(b, `": `...)
	return jsonenc.AppendString(b, value)
}

// appendClose closes an object whose fields were written: a new line at the indent
// of the object's own line, then the brace.
func appendClose(b []byte, ind string) []byte {
	b = append(b, '\n')
	b = append(b, ind...)
	return append(b, '}')
}

package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/moat-dev/moat/internal/finding"
)

// The JSON document is written a finding at a time, each appended by hand in exactly
// the bytes encoding/json's indenting encoder gives (TestJSONStreamMatchesEncoder
// holds the two together). Encoding the whole document and then indenting it was a
// fifth of a 10,000-object scan's time, and held the document twice in memory.

// writeJSONDocument streams doc to w.
func writeJSONDocument(w io.Writer, doc *JSONDocument) error {
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
	for i := range doc.Findings {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendFinding(append(buf, "\n    "...), &doc.Findings[i], "    ")
		if len(buf) > 32<<10 {
			if _, err := bw.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(doc.Findings) > 0 {
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

// appendFinding appends one finding as an indented object whose opening brace is at
// the current position and whose fields are one level deeper than ind.
func appendFinding(b []byte, f *finding.Finding, ind string) []byte {
	in := ind + "  "
	b = append(b, '{')
	b = appendField(b, in, "ruleID", f.RuleID, false)
	b = appendField(b, in, "severity", f.Severity.String(), true)
	b = appendField(b, in, "title", f.Title, true)
	b = appendField(b, in, "message", f.Message, true)
	b = append(b, ",\n"...)
	b = append(b, in...)
	b = append(b, `"resource": {`...)
	r := &f.Resource
	in2 := in + "  "
	b = appendField(b, in2, "apiVersion", r.APIVersion, false)
	b = appendField(b, in2, "kind", r.Kind, true)
	if r.Namespace != "" {
		b = appendField(b, in2, "namespace", r.Namespace, true)
	}
	b = appendField(b, in2, "name", r.Name, true)
	b = appendClose(b, in)
	if f.Path != "" {
		b = appendField(b, in, "path", f.Path, true)
	}
	if s := f.Source; s != nil {
		b = append(b, ",\n"...)
		b = append(b, in...)
		b = append(b, `"source": {`...)
		b = appendField(b, in2, "file", s.File, false)
		if s.Line != 0 {
			b = append(b, ",\n"...)
			b = append(b, in2...)
			b = append(b, `"line": `...)
			b = strconv.AppendInt(b, int64(s.Line), 10)
		}
		if s.Origin != "" {
			b = appendField(b, in2, "origin", s.Origin, true)
		}
		if s.LineUnknown != "" {
			b = appendField(b, in2, "lineUnknown", s.LineUnknown, true)
		}
		b = appendClose(b, in)
	}
	b = append(b, ",\n"...)
	b = append(b, in...)
	b = append(b, `"frameworks": {`...)
	fw := &f.Frameworks
	first := true
	for _, kv := range [...]struct{ k, v string }{{"pss", fw.PSS}, {"cis", fw.CIS}, {"nsa", fw.NSA}, {"mitre", fw.MITRE}} {
		if kv.v != "" {
			b = appendField(b, in2, kv.k, kv.v, !first)
			first = false
		}
	}
	if first {
		b = append(b, '}') // encoding/json writes an empty object as {}
	} else {
		b = appendClose(b, in)
	}
	b = appendField(b, in, "remediation", f.Remediation, true)
	if s := f.Suppressed; s != nil {
		b = append(b, ",\n"...)
		b = append(b, in...)
		b = append(b, `"suppressed": {`...)
		b = appendField(b, in2, "kind", s.Kind, false)
		b = appendField(b, in2, "reason", s.Reason, true)
		b = appendClose(b, in)
	}
	return appendClose(b, ind)
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
	return appendJSONString(b, value)
}

// appendClose closes an object whose fields were written: a new line at the indent
// of the object's own line, then the brace.
func appendClose(b []byte, ind string) []byte {
	b = append(b, '\n')
	b = append(b, ind...)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping off: the
// two-character escapes for \b \f \n \r \t " and \, \u00XX for other control
// characters, U+FFFD for invalid UTF-8, and \u2028 and \u2029, which JavaScript
// does not accept raw in strings.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

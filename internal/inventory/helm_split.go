package inventory

import (
	"regexp"
	"strings"
	"unicode"
)

// Helm splits what a chart renders into documents with its own rule, not YAML's:
// releaseutil.SplitManifests (helm.sh/helm/v4/pkg/release/v1/util) cuts the text at
// every "---" that starts a line, whatever follows it on that line, after trimming
// the leading white space of the whole text and of every piece. `---# comment` or
// `---apiVersion: v1`, which a template with `{{- if ... -}}` after a separator easily
// renders, are therefore two documents to Helm and one invalid document to a YAML
// stream reader: a chart's objects are split as Helm splits them, so that Moat sees
// the objects `helm install` creates. Plain manifest files keep kubectl's splitting
// (decode.go).
//
// SplitManifests returns the pieces without their place; splitHelm makes the same
// cut with the same expression and keeps each piece's line and byte offset.
// TestSplitHelmMatchesHelm and FuzzSplitHelm hold the two to the same pieces.

// helmSeparator is releaseutil's separator, character for character.
var helmSeparator = regexp.MustCompile(`(?m)^---[ \t]*`)

// splitHelm splits a template's rendered text as Helm does. Each document's data is
// the piece Helm would decode; line is the line of text its first character is on,
// off its byte offset. Pieces that are only white space are dropped, as Helm drops
// them; a piece larger than MaxDocumentBytes is returned without data, to be
// reported.
func splitHelm(text string) []document {
	base := len(text) - len(strings.TrimLeftFunc(text, unicode.IsSpace))
	trimmed := text[base:]
	lines := lineCounter{text: text, line: 1}
	var docs []document
	start := 0
	add := func(end int) {
		piece := trimmed[start:end]
		if strings.TrimSpace(piece) == "" {
			return
		}
		lead := len(piece) - len(strings.TrimLeftFunc(piece, unicode.IsSpace))
		off := base + start + lead
		d := document{line: lines.at(off), off: int64(off)}
		if data := piece[lead:]; len(data) <= MaxDocumentBytes {
			d.data = []byte(data)
		}
		docs = append(docs, d)
	}
	for _, sep := range helmSeparator.FindAllStringIndex(trimmed, -1) {
		add(sep[0])
		start = sep[1]
	}
	add(len(trimmed))
	return docs
}

// lineCounter turns increasing byte offsets of a text into 1-based line numbers,
// counting each newline once.
type lineCounter struct {
	text string
	pos  int // offset counted up to
	line int // line of pos
}

func (c *lineCounter) at(off int) int {
	c.line += strings.Count(c.text[c.pos:off], "\n")
	c.pos = off
	return c.line
}

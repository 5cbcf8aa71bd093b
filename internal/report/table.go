package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/moat-dev/moat/internal/finding"
)

// DefaultWidth is the width the table wraps at when Table.Width is not set.
const DefaultWidth = 100

// Table renders findings for a person at a terminal:
//
//	error: examples/broken/ingress.yaml:12: yaml: mapping values are not allowed here
//
//	Deployment/shop/cart  examples/shop/cart.yaml
//	  CRITICAL  pod/privileged-container  line 27
//	            container "app" sets securityContext.privileged=true
//
//	9 objects scanned: 1 finding (1 critical), 1 input error
//
// Input errors and warnings come first. Findings are grouped by resource (and file), the
// most severe resource first and resources whose findings are all suppressed last, the
// file named once in the group's heading; each finding gives severity, rule ID and line,
// then its message wrapped to the width. A summary line closes the table.
//
// Text from the input (resource and file names, messages, reasons, input errors) is
// escaped (see Escape): only the line breaks of a message are kept, and every line after
// a message's first is indented, so no input can write a line of its own.
//
// Findings.New("table", opt) makes one; the fields are the Options it was made with.
type Table struct {
	// Color turns on ANSI colours; the command sets it only for a terminal without NO_COLOR.
	Color bool
	// Width is the column messages wrap at; 0 means DefaultWidth.
	Width int
	// Verbose lists the skipped inputs the summary counts.
	Verbose bool

	// par is how the resource groups are spread over goroutines; tests set it.
	par parallel
}

// messageIndent is where a finding's message starts: under the rule ID.
const messageIndent = 12

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[33m"
)

var severityColor = map[finding.Severity]string{
	finding.Critical: "\x1b[1;35m", finding.High: "\x1b[1;31m", finding.Medium: "\x1b[33m",
	finding.Low: "\x1b[36m", finding.Info: "\x1b[2m",
}

// paint wraps text in an ANSI style when colour is on.
func (t *Table) paint(style, text string) string {
	if !t.Color || style == "" || text == "" {
		return text
	}
	return style + text + ansiReset
}

func (t *Table) width() int {
	if t.Width <= 0 {
		return DefaultWidth
	}
	return t.Width
}

// tableGroup is the findings of one resource read from one file, by index.
type tableGroup struct {
	res    finding.Resource
	source *finding.Source
	idx    []int
	open   bool // some finding is not suppressed
}

// tableOut is where the table is written: a buffered writer, or a strings.Builder in tests.
type tableOut interface {
	io.Writer
	io.StringWriter
	io.ByteWriter
}

// Render writes the table as it goes, a block of resource groups at a time, through a
// buffer: the table of a large scan is never whole in memory. The groups of a large scan
// are written on several goroutines (see blocks.go).
func (t *Table) Render(w io.Writer, r *Report) error {
	b := bufio.NewWriterSize(w, 64<<10)
	width := t.width()
	for _, e := range r.Errors {
		t.writeNote(b, t.paint(ansiRed, "error:"), "error: ", e, width)
	}
	for _, e := range r.Warnings {
		t.writeNote(b, t.paint(ansiYellow, "warning:"), "warning: ", e, width)
	}
	if t.Verbose {
		for _, sk := range r.Skipped {
			t.writeNote(b, "skipped:", "skipped: ", sk.Path+": "+sk.Reason, width)
		}
	}
	if len(r.Errors)+len(r.Warnings) > 0 || (t.Verbose && len(r.Skipped) > 0) {
		b.WriteByte('\n')
	}
	groups := groupFindings(r.Findings)
	par := t.par.withDefaults()
	bounds := blockBounds(len(groups), par.blockSize, func(i int) int { return len(groups[i].idx) })
	err := par.writeBlocks(b, len(bounds)-1, len(r.Findings), func() blockEncoder {
		tb := tableBlock{t: t, width: width}
		return func(buf []byte, k int) []byte {
			tb.out.b = buf
			for _, g := range groups[bounds[k]:bounds[k+1]] {
				tb.fs = tb.fs[:0]
				for _, i := range g.idx {
					tb.fs = append(tb.fs, r.Findings[i])
				}
				tb.writeGroup(g)
			}
			return tb.out.b
		}
	})
	if err != nil {
		return err
	}
	t.writeRuleSummary(b, r.Findings)
	t.writeSummary(b, r.Summary, width)
	return b.Flush()
}

// tableBuf is a tableOut that appends to a byte slice: a block of groups.
type tableBuf struct{ b []byte }

func (t *tableBuf) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	return len(p), nil
}

func (t *tableBuf) WriteString(s string) (int, error) {
	t.b = append(t.b, s...)
	return len(s), nil
}

func (t *tableBuf) WriteByte(c byte) error {
	t.b = append(t.b, c)
	return nil
}

// tableBlock writes resource groups into a block. Each goroutine that writes groups has
// its own, for the scratch space that groups reuse.
type tableBlock struct {
	t     *Table
	width int
	out   tableBuf
	fs    []finding.Finding // the group's findings
	lines []string
}

// writeNote writes an error or warning with its continuation lines under its text.
func (t *Table) writeNote(b tableOut, label, plainLabel, text string, width int) {
	indent := utf8.RuneCountInString(plainLabel)
	for i, line := range wrap(text, width-indent) {
		if i == 0 {
			b.WriteString(label)
			b.WriteByte(' ')
		} else {
			b.WriteString(strings.Repeat(" ", indent))
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
}

// groupFindings groups findings by resource and file, in the order each group first
// appears: findings are sorted most severe first, so the worst resources lead. Groups
// whose findings are all suppressed follow the others, so that what needs work comes first.
func groupFindings(fs []finding.Finding) []*tableGroup {
	var groups []*tableGroup
	index := map[tableGroupKey]*tableGroup{}
	var g *tableGroup
	for i := range fs {
		f := &fs[i]
		// A resource's findings of one severity are next to each other: most findings
		// are in the group of the one before, which is cheaper to see than to look up.
		if i == 0 || f.Resource != fs[i-1].Resource || !sameFileAndOrigin(f.Source, fs[i-1].Source) {
			k := groupKey(f)
			if g = index[k]; g == nil {
				g = &tableGroup{res: f.Resource, source: f.Source}
				index[k] = g
				groups = append(groups, g)
			}
		}
		g.idx = append(g.idx, i)
		g.open = g.open || f.Suppressed == nil
	}
	slices.SortStableFunc(groups, func(a, b *tableGroup) int {
		switch {
		case a.open && !b.open:
			return -1
		case b.open && !a.open:
			return 1
		}
		return 0
	})
	return groups
}

// tableGroupKey is a finding's group: its resource and, when it has a source, the file
// and origin. Two findings are in one group when their resources are equal and their
// File+"\x00"+Origin are (or neither has a source): a name with a NUL in it is joined
// so, and every other pair kept apart, which gives the same groups without a string
// made for every finding.
type tableGroupKey struct {
	res          finding.Resource
	file, origin string
	pair         bool // file and origin are apart, neither holding a NUL
}

// sameFileAndOrigin reports sources that are surely of one group: both absent, or
// with the same file and origin. (Sources it tells apart may still be of one group, when
// a NUL joins them: groupKey decides those.)
func sameFileAndOrigin(a, b *finding.Source) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a == b || (a.File == b.File && a.Origin == b.Origin)
}

func groupKey(f *finding.Finding) tableGroupKey {
	k := tableGroupKey{res: f.Resource}
	if s := f.Source; s != nil {
		if strings.IndexByte(s.File, 0) < 0 && strings.IndexByte(s.Origin, 0) < 0 {
			k.file, k.origin, k.pair = s.File, s.Origin, true
		} else {
			k.file = s.File + "\x00" + s.Origin
		}
	}
	return k
}

// writeGroup writes a group, whose findings are tb.fs.
func (tb *tableBlock) writeGroup(g *tableGroup) {
	t, b, width := tb.t, &tb.out, tb.width
	// The heading is the resource, then its file and origin (helm:CHART, kustomize:DIR) on
	// the same line while they fit, each on a line of its own when they do not.
	res := Escape(g.res.String())
	t.writePainted(b, ansiBold, res)
	col := utf8.RuneCountInString(res)
	if s := g.source; s != nil && s.File != "" {
		parts := []string{Escape(s.File)}
		if s.Origin != "" {
			parts = append(parts, "("+Escape(s.Origin)+")")
		}
		for i, p := range parts {
			sep := "  "
			if i > 0 {
				sep = " "
			}
			if n := utf8.RuneCountInString(p); col+len(sep)+n > width {
				b.WriteString("\n  ")
				col = 2 + n
			} else {
				b.WriteString(sep)
				col += len(sep) + n
			}
			t.writePainted(b, ansiDim, p)
		}
	}
	b.WriteByte('\n')
	for _, rc := range finding.RootCauseIndexes(tb.fs) {
		if len(rc.Members) == 1 {
			tb.writeFinding(&tb.fs[rc.Members[0]])
		} else {
			tb.writeRootCause(&rc)
		}
	}
	b.WriteByte('\n')
}

// writeRootCause writes the findings one field causes as one entry: the highest
// severity, the field and its line, then each rule with what it says.
//
//	CRITICAL  spec.template.spec.volumes[2]  line 40
//	          pod/sensitive-host-path (critical): volume "root" mounts the host's /
//	          pod/host-path-volumes (high): volumes "root" must not use hostPath
func (tb *tableBlock) writeRootCause(rc *finding.RootCauseIndex) {
	t, b, width := tb.t, &tb.out, tb.width
	open := slices.ContainsFunc(rc.Members, func(i int32) bool { return tb.fs[i].Suppressed == nil })
	style := severityColor[rc.Severity]
	if !open {
		style = ansiDim
	}
	b.WriteString("  ")
	t.writePainted(b, style, severityLabel(rc.Severity))
	b.WriteString("  ")
	b.WriteString(Escape(rc.Path))
	tb.writeSourceLine(tb.fs[rc.Members[0]].Source)
	b.WriteByte('\n')
	lines := tb.lines
	for _, i := range rc.Members {
		f := &tb.fs[i]
		msgStyle, text := "", f.RuleID+" ("+f.Severity.String()+"): "+f.Message
		if f.Suppressed != nil {
			msgStyle, text = ansiDim, text+" (suppressed: "+suppressionText(f.Suppressed)+")"
		}
		lines = wrapInto(lines[:0], text, width-messageIndent)
		for i, l := range lines {
			b.WriteString(messageIndentText)
			if i > 0 && t.Color && msgStyle != "" {
				t.writePainted(b, msgStyle, "  "+l)
			} else {
				if i > 0 {
					b.WriteString("  ")
				}
				t.writePainted(b, msgStyle, l)
			}
			b.WriteByte('\n')
		}
	}
	tb.lines = lines
}

// writeRuleSummary writes how many findings each rule made, most severe rules first:
// which controls fail most, at a glance.
func (t *Table) writeRuleSummary(b tableOut, fs []finding.Finding) {
	type row struct {
		id  string
		sev finding.Severity
		n   int
	}
	byRule := map[string]*row{}
	var rows []*row
	for _, f := range fs {
		if f.Suppressed != nil {
			continue
		}
		r := byRule[f.RuleID]
		if r == nil {
			r = &row{id: f.RuleID, sev: f.Severity}
			byRule[f.RuleID] = r
			rows = append(rows, r)
		}
		r.n++
		r.sev = max(r.sev, f.Severity)
	}
	if len(rows) == 0 {
		return
	}
	slices.SortFunc(rows, func(a, c *row) int {
		if a.sev != c.sev {
			return int(c.sev) - int(a.sev)
		}
		if a.n != c.n {
			return c.n - a.n
		}
		return strings.Compare(a.id, c.id)
	})
	wid := len("RULE")
	for _, r := range rows {
		wid = max(wid, utf8.RuneCountInString(r.id))
	}
	fmt.Fprintf(b, "%-*s  %-8s  %s\n", wid, "RULE", "SEVERITY", "FINDINGS")
	for _, r := range rows {
		fmt.Fprintf(b, "%-*s  %s  %d\n", wid, Escape(r.id), t.paint(severityColor[r.sev], fmt.Sprintf("%-8s", r.sev)), r.n)
	}
	b.WriteByte('\n')
}

// writeSourceLine writes what a finding's entry says of its line after two spaces:
// "line 12", "line unknown (rendered by template code)" for a chart field no template
// line wrote; or nothing.
func (tb *tableBlock) writeSourceLine(s *finding.Source) {
	switch {
	case s == nil:
	case s.Line > 0:
		b := &tb.out
		b.WriteString("  ")
		if tb.t.Color {
			b.WriteString(ansiDim)
		}
		b.WriteString("line ")
		b.b = strconv.AppendInt(b.b, int64(s.Line), 10)
		if tb.t.Color {
			b.WriteString(ansiReset)
		}
	case s.LineUnknown != "":
		tb.out.WriteString("  ")
		tb.t.writePainted(&tb.out, ansiDim, "line unknown ("+Escape(s.LineUnknown)+")")
	}
}

func (tb *tableBlock) writeFinding(f *finding.Finding) {
	t, b, width := tb.t, &tb.out, tb.width
	style := severityColor[f.Severity]
	if f.Suppressed != nil {
		style = ansiDim
	}
	b.WriteString("  ")
	t.writePainted(b, style, severityLabel(f.Severity))
	b.WriteString("  ")
	b.WriteString(Escape(f.RuleID))
	tb.writeSourceLine(f.Source)
	if f.Suppressed != nil {
		b.WriteString("  ")
		t.writePainted(b, ansiDim, "(suppressed)")
	}
	b.WriteByte('\n')
	msgStyle := ""
	if f.Suppressed != nil {
		msgStyle = ansiDim
	}
	tb.lines = wrapInto(tb.lines[:0], f.Message, width-messageIndent)
	for _, l := range tb.lines {
		b.WriteString(messageIndentText)
		t.writePainted(b, msgStyle, l)
		b.WriteByte('\n')
	}
	if f.Suppressed != nil {
		for _, l := range wrap(suppressionText(f.Suppressed), width-messageIndent) {
			b.WriteString(messageIndentText)
			t.writePainted(b, ansiDim, l)
			b.WriteByte('\n')
		}
	}
}

// messageIndentText is messageIndent spaces.
var messageIndentText = strings.Repeat(" ", messageIndent)

// writePainted writes paint(style, text) without making the string.
func (t *Table) writePainted(b tableOut, style, text string) {
	if !t.Color || style == "" || text == "" {
		b.WriteString(text)
		return
	}
	b.WriteString(style)
	b.WriteString(text)
	b.WriteString(ansiReset)
}

// severityLabels are the severities as an entry shows them: upper case, padded to 8.
var severityLabels = func() (l [finding.Critical + 1]string) {
	for s := range l {
		l[s] = fmt.Sprintf("%-8s", strings.ToUpper(finding.Severity(s).String()))
	}
	return l
}()

func severityLabel(s finding.Severity) string {
	if s >= 0 && int(s) < len(severityLabels) {
		return severityLabels[s]
	}
	return fmt.Sprintf("%-8s", strings.ToUpper(s.String()))
}

// writeSummary writes the closing counts: objects, findings by severity (those that
// occur), suppressed findings and input errors (when there are any):
//
//	14 objects scanned: 5 findings (1 critical, 1 high, 2 medium, 1 low), 3 suppressed, 1 input error
//
// A line too wide is wrapped between its parts.
func (t *Table) writeSummary(b tableOut, s finding.Summary, width int) {
	// A part is plain text for measuring and the same text as printed; sep follows it.
	type part struct{ plain, printed, sep string }
	parts := []part{{plural(s.Objects, "object") + " scanned:", "", " "}}
	add := func(plain, printed string) {
		parts[len(parts)-1].sep = ", "
		parts = append(parts, part{plain, printed, ""})
	}
	if s.Findings == 0 {
		parts = append(parts, part{"no findings", "", ""})
	} else {
		text := plural(s.Findings, "finding")
		if s.RootCauses > 0 && s.RootCauses != s.Findings {
			text += " in " + plural(s.RootCauses, "root cause")
		}
		parts = append(parts, part{text, "", ""})
		open := " ("
		for _, sev := range finding.Severities {
			if n := s.BySeverity[sev]; n > 0 {
				text := fmt.Sprintf("%d %s", n, sev)
				if open != "" {
					parts[len(parts)-1].sep = open
					parts = append(parts, part{text, t.paint(severityColor[sev], text), ""})
					open = ""
				} else {
					add(text, t.paint(severityColor[sev], text))
				}
			}
		}
		if open == "" {
			last := &parts[len(parts)-1]
			last.plain, last.printed = last.plain+")", cmp.Or(last.printed, last.plain)+")"
		}
	}
	if s.Suppressed > 0 {
		add(fmt.Sprintf("%d suppressed", s.Suppressed), "")
	}
	if s.Skipped > 0 {
		add(plural(s.Skipped, "file")+" skipped", "")
	}
	if s.Errors > 0 {
		text := plural(s.Errors, "input error")
		add(text, t.paint(ansiRed, text))
	}
	col := 0
	for i, p := range parts {
		n := utf8.RuneCountInString(p.plain)
		if i > 0 {
			sep := parts[i-1].sep
			if col+len(sep)+n > width {
				b.WriteString(strings.TrimRight(sep, " ") + "\n  ")
				col = 2
			} else {
				b.WriteString(sep)
				col += len(sep)
			}
		}
		b.WriteString(cmp.Or(p.printed, p.plain))
		col += n
	}
	b.WriteByte('\n')
}

// wrapSpace reports the characters wrap breaks words at: the spaces and tabs that
// strings.Fields splits at, but none that Escape shows (carriage return, form feed,
// vertical tab, NEL, the line and paragraph separators).
func wrapSpace(r rune) bool { return r == '\t' || (unicode.IsSpace(r) && !unsafeRune(r)) }

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// wrap breaks text into lines of at most width runes at spaces; a word longer than a
// line is cut. Line breaks in the text are kept; other control and format characters are
// escaped (see Escape), tabs and Unicode spaces separate words as spaces do.
func wrap(text string, width int) []string { return wrapInto(nil, text, width) }

// wrapInto is wrap appending to lines.
func wrapInto(lines []string, text string, width int) []string {
	width = max(width, 20)
	if simpleText(text) {
		return wrapSimple(lines, text, width)
	}
	return wrapGeneral(lines, text, width)
}

// wrapGeneral is wrap for any text.
func wrapGeneral(lines []string, text string, width int) []string {
	for _, para := range strings.Split(text, "\n") {
		var cur []rune
		for _, word := range strings.FieldsFunc(para, wrapSpace) {
			wr := []rune(Escape(word))
			if len(cur) > 0 && len(cur)+1+len(wr) > width {
				lines = append(lines, string(cur))
				cur = nil
			}
			for len(wr) > width {
				if len(cur) > 0 {
					lines = append(lines, string(cur))
					cur = nil
				}
				lines = append(lines, string(wr[:width]))
				wr = wr[width:]
			}
			if len(cur) > 0 {
				cur = append(cur, ' ')
			}
			cur = append(cur, wr...)
		}
		lines = append(lines, string(cur))
	}
	return lines
}

// simpleText reports text that wrap may cut without looking at characters: printable
// ASCII words, one space between each two, no space at either end. Escape leaves such
// text as it is, and every line wrap makes of it is a piece of it.
func simpleText(text string) bool {
	if text == "" || text[0] == ' ' || text[len(text)-1] == ' ' {
		return false
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c < ' ' || c > '~' || (c == ' ' && text[i+1] == ' ') {
			return false
		}
	}
	return true
}

// wrapSimple is wrap for simpleText: the same lines, each a substring of text.
func wrapSimple(lines []string, text string, width int) []string {
	start, end := 0, -1 // the current line is text[start:end]; end < 0 when there is none
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], ' ')
		if j < 0 {
			j = len(text)
		} else {
			j += i
		}
		ws := i // the word is text[ws:j]
		i = j + 1
		if end >= 0 && end-start+1+(j-ws) > width {
			lines = append(lines, text[start:end])
			end = -1
		}
		for j-ws > width {
			if end >= 0 {
				lines = append(lines, text[start:end])
				end = -1
			}
			lines = append(lines, text[ws:ws+width])
			ws += width
		}
		if end >= 0 {
			end = j // the word follows the line after one space
		} else {
			start, end = ws, j
		}
	}
	return append(lines, text[start:end])
}

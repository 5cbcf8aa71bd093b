package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
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

// tableGroup is the findings of one resource read from one file.
type tableGroup struct {
	res      finding.Resource
	source   *finding.Source
	findings []finding.Finding
}

func (t *Table) Render(w io.Writer, r *Report) error {
	var b strings.Builder
	// Grown once to about the size of the output: growing it step by step copied
	// megabytes over and over on large scans.
	size := 256
	for _, f := range r.Findings {
		size += len(f.Message) + len(f.RuleID) + 64
	}
	b.Grow(size + size/8)
	width := t.width()
	for _, e := range r.Errors {
		t.writeNote(&b, t.paint(ansiRed, "error:"), "error: ", e, width)
	}
	for _, e := range r.Warnings {
		t.writeNote(&b, t.paint(ansiYellow, "warning:"), "warning: ", e, width)
	}
	if t.Verbose {
		for _, sk := range r.Skipped {
			t.writeNote(&b, "skipped:", "skipped: ", sk.Path+": "+sk.Reason, width)
		}
	}
	if len(r.Errors)+len(r.Warnings) > 0 || (t.Verbose && len(r.Skipped) > 0) {
		b.WriteByte('\n')
	}
	for _, g := range groupFindings(r.Findings) {
		t.writeGroup(&b, g, width)
	}
	t.writeRuleSummary(&b, r.Findings)
	t.writeSummary(&b, r.Summary, width)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeNote writes an error or warning with its continuation lines under its text.
func (t *Table) writeNote(b *strings.Builder, label, plainLabel, text string, width int) {
	indent := utf8.RuneCountInString(plainLabel)
	for i, line := range wrap(text, width-indent) {
		if i == 0 {
			fmt.Fprintf(b, "%s %s\n", label, line)
		} else {
			fmt.Fprintf(b, "%s%s\n", strings.Repeat(" ", indent), line)
		}
	}
}

// groupFindings groups findings by resource and file, in the order each group first
// appears: findings are sorted most severe first, so the worst resources lead. Groups
// whose findings are all suppressed follow the others, so that what needs work comes first.
func groupFindings(fs []finding.Finding) []*tableGroup {
	type key struct {
		res  finding.Resource
		file string
	}
	var groups []*tableGroup
	index := map[key]*tableGroup{}
	for _, f := range fs {
		k := key{f.Resource, ""}
		if f.Source != nil {
			k.file = f.Source.File + "\x00" + f.Source.Origin
		}
		g := index[k]
		if g == nil {
			g = &tableGroup{res: f.Resource, source: f.Source}
			index[k] = g
			groups = append(groups, g)
		}
		g.findings = append(g.findings, f)
	}
	open := func(g *tableGroup) bool {
		return slices.ContainsFunc(g.findings, func(f finding.Finding) bool { return f.Suppressed == nil })
	}
	slices.SortStableFunc(groups, func(a, b *tableGroup) int {
		switch oa, ob := open(a), open(b); {
		case oa && !ob:
			return -1
		case ob && !oa:
			return 1
		}
		return 0
	})
	return groups
}

func (t *Table) writeGroup(b *strings.Builder, g *tableGroup, width int) {
	// The heading is the resource, then its file and origin (helm:CHART, kustomize:DIR) on
	// the same line while they fit, each on a line of its own when they do not.
	res := Escape(g.res.String())
	b.WriteString(t.paint(ansiBold, res))
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
			b.WriteString(t.paint(ansiDim, p))
		}
	}
	b.WriteByte('\n')
	for _, rc := range finding.RootCauses(g.findings) {
		if len(rc.Findings) == 1 {
			t.writeFinding(b, rc.Findings[0], width)
		} else {
			t.writeRootCause(b, rc, width)
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
func (t *Table) writeRootCause(b *strings.Builder, rc finding.RootCause, width int) {
	open := slices.ContainsFunc(rc.Findings, func(f finding.Finding) bool { return f.Suppressed == nil })
	style := severityColor[rc.Severity]
	if !open {
		style = ansiDim
	}
	line := "  " + t.paint(style, fmt.Sprintf("%-8s", strings.ToUpper(rc.Severity.String()))) + "  " + Escape(rc.Path)
	if where := sourceLine(rc.Findings[0].Source); where != "" {
		line += "  " + t.paint(ansiDim, where)
	}
	b.WriteString(line + "\n")
	indent := strings.Repeat(" ", messageIndent)
	for _, f := range rc.Findings {
		msgStyle, text := "", fmt.Sprintf("%s (%s): %s", f.RuleID, f.Severity, f.Message)
		if f.Suppressed != nil {
			msgStyle, text = ansiDim, text+" (suppressed: "+suppressionText(f.Suppressed)+")"
		}
		for i, l := range wrap(text, width-messageIndent) {
			if i > 0 {
				l = "  " + l
			}
			b.WriteString(indent + t.paint(msgStyle, l) + "\n")
		}
	}
}

// writeRuleSummary writes how many findings each rule made, most severe rules first:
// which controls fail most, at a glance.
func (t *Table) writeRuleSummary(b *strings.Builder, fs []finding.Finding) {
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

// sourceLine is what a finding's entry says of its line: "line 12", "line unknown
// (rendered by template code)" for a chart field no template line wrote, or nothing.
func sourceLine(s *finding.Source) string {
	switch {
	case s == nil:
		return ""
	case s.Line > 0:
		return fmt.Sprintf("line %d", s.Line)
	case s.LineUnknown != "":
		return "line unknown (" + Escape(s.LineUnknown) + ")"
	}
	return ""
}

func (t *Table) writeFinding(b *strings.Builder, f finding.Finding, width int) {
	sev := fmt.Sprintf("%-8s", strings.ToUpper(f.Severity.String()))
	style := severityColor[f.Severity]
	if f.Suppressed != nil {
		style = ansiDim
	}
	line := "  " + t.paint(style, sev) + "  " + Escape(f.RuleID)
	if where := sourceLine(f.Source); where != "" {
		line += "  " + t.paint(ansiDim, where)
	}
	if f.Suppressed != nil {
		line += "  " + t.paint(ansiDim, "(suppressed)")
	}
	b.WriteString(line + "\n")
	indent := strings.Repeat(" ", messageIndent)
	msgStyle := ""
	if f.Suppressed != nil {
		msgStyle = ansiDim
	}
	for _, l := range wrap(f.Message, width-messageIndent) {
		b.WriteString(indent + t.paint(msgStyle, l) + "\n")
	}
	if f.Suppressed != nil {
		for _, l := range wrap(suppressionText(f.Suppressed), width-messageIndent) {
			b.WriteString(indent + t.paint(ansiDim, l) + "\n")
		}
	}
}

// writeSummary writes the closing counts: objects, findings by severity (those that
// occur), suppressed findings and input errors (when there are any):
//
//	14 objects scanned: 5 findings (1 critical, 1 high, 2 medium, 1 low), 3 suppressed, 1 input error
//
// A line too wide is wrapped between its parts.
func (t *Table) writeSummary(b *strings.Builder, s finding.Summary, width int) {
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
func wrap(text string, width int) []string {
	width = max(width, 20)
	var lines []string
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

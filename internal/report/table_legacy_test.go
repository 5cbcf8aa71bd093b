package report

// The table renderer as it was before it was streamed: the reference TestTableStreamMatches
// holds the streamed one to.

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

// tableGroupLegacy is the findings of one resource read from one file.
type tableGroupLegacy struct {
	res      finding.Resource
	source   *finding.Source
	findings []finding.Finding
}

func (t *Table) renderLegacy(w io.Writer, r *Report) error {
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
		t.writeNoteLegacy(&b, t.paint(ansiRed, "error:"), "error: ", e, width)
	}
	for _, e := range r.Warnings {
		t.writeNoteLegacy(&b, t.paint(ansiYellow, "warning:"), "warning: ", e, width)
	}
	if t.Verbose {
		for _, sk := range r.Skipped {
			t.writeNoteLegacy(&b, "skipped:", "skipped: ", sk.Path+": "+sk.Reason, width)
		}
	}
	if len(r.Errors)+len(r.Warnings) > 0 || (t.Verbose && len(r.Skipped) > 0) {
		b.WriteByte('\n')
	}
	for _, g := range groupFindingsLegacy(r.Findings) {
		t.writeGroupLegacy(&b, g, width)
	}
	t.writeRuleSummaryLegacy(&b, r.Findings)
	t.writeSummaryLegacy(&b, r.Summary, width)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeNoteLegacy writes an error or warning with its continuation lines under its text.
func (t *Table) writeNoteLegacy(b *strings.Builder, label, plainLabel, text string, width int) {
	indent := utf8.RuneCountInString(plainLabel)
	for i, line := range wrapLegacy(text, width-indent) {
		if i == 0 {
			fmt.Fprintf(b, "%s %s\n", label, line)
		} else {
			fmt.Fprintf(b, "%s%s\n", strings.Repeat(" ", indent), line)
		}
	}
}

// groupFindingsLegacy groups findings by resource and file, in the order each group first
// appears: findings are sorted most severe first, so the worst resources lead. Groups
// whose findings are all suppressed follow the others, so that what needs work comes first.
func groupFindingsLegacy(fs []finding.Finding) []*tableGroupLegacy {
	type key struct {
		res  finding.Resource
		file string
	}
	var groups []*tableGroupLegacy
	index := map[key]*tableGroupLegacy{}
	for _, f := range fs {
		k := key{f.Resource, ""}
		if f.Source != nil {
			k.file = f.Source.File + "\x00" + f.Source.Origin
		}
		g := index[k]
		if g == nil {
			g = &tableGroupLegacy{res: f.Resource, source: f.Source}
			index[k] = g
			groups = append(groups, g)
		}
		g.findings = append(g.findings, f)
	}
	open := func(g *tableGroupLegacy) bool {
		return slices.ContainsFunc(g.findings, func(f finding.Finding) bool { return f.Suppressed == nil })
	}
	slices.SortStableFunc(groups, func(a, b *tableGroupLegacy) int {
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

func (t *Table) writeGroupLegacy(b *strings.Builder, g *tableGroupLegacy, width int) {
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
			t.writeFindingLegacy(b, rc.Findings[0], width)
		} else {
			t.writeRootCauseLegacy(b, rc, width)
		}
	}
	b.WriteByte('\n')
}

// writeRootCauseLegacy writes the findings one field causes as one entry: the highest
// severity, the field and its line, then each rule with what it says.
//
//	CRITICAL  spec.template.spec.volumes[2]  line 40
//	          pod/sensitive-host-path (critical): volume "root" mounts the host's /
//	          pod/host-path-volumes (high): volumes "root" must not use hostPath
func (t *Table) writeRootCauseLegacy(b *strings.Builder, rc finding.RootCause, width int) {
	open := slices.ContainsFunc(rc.Findings, func(f finding.Finding) bool { return f.Suppressed == nil })
	style := severityColor[rc.Severity]
	if !open {
		style = ansiDim
	}
	line := "  " + t.paint(style, fmt.Sprintf("%-8s", strings.ToUpper(rc.Severity.String()))) + "  " + Escape(rc.Path)
	if where := sourceLineLegacy(rc.Findings[0].Source); where != "" {
		line += "  " + t.paint(ansiDim, where)
	}
	b.WriteString(line + "\n")
	indent := strings.Repeat(" ", messageIndent)
	for _, f := range rc.Findings {
		msgStyle, text := "", fmt.Sprintf("%s (%s): %s", f.RuleID, f.Severity, f.Message)
		if f.Suppressed != nil {
			msgStyle, text = ansiDim, text+" (suppressed: "+suppressionText(f.Suppressed)+")"
		}
		for i, l := range wrapLegacy(text, width-messageIndent) {
			if i > 0 {
				l = "  " + l
			}
			b.WriteString(indent + t.paint(msgStyle, l) + "\n")
		}
	}
}

// writeRuleSummaryLegacy writes how many findings each rule made, most severe rules first:
// which controls fail most, at a glance.
func (t *Table) writeRuleSummaryLegacy(b *strings.Builder, fs []finding.Finding) {
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

// sourceLineLegacy is what a finding's entry says of its line: "line 12", "line unknown
// (rendered by template code)" for a chart field no template line wrote, or nothing.
func sourceLineLegacy(s *finding.Source) string {
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

func (t *Table) writeFindingLegacy(b *strings.Builder, f finding.Finding, width int) {
	sev := fmt.Sprintf("%-8s", strings.ToUpper(f.Severity.String()))
	style := severityColor[f.Severity]
	if f.Suppressed != nil {
		style = ansiDim
	}
	line := "  " + t.paint(style, sev) + "  " + Escape(f.RuleID)
	if where := sourceLineLegacy(f.Source); where != "" {
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
	for _, l := range wrapLegacy(f.Message, width-messageIndent) {
		b.WriteString(indent + t.paint(msgStyle, l) + "\n")
	}
	if f.Suppressed != nil {
		for _, l := range wrapLegacy(suppressionText(f.Suppressed), width-messageIndent) {
			b.WriteString(indent + t.paint(ansiDim, l) + "\n")
		}
	}
}

// writeSummaryLegacy writes the closing counts: objects, findings by severity (those that
// occur), suppressed findings and input errors (when there are any):
//
//	14 objects scanned: 5 findings (1 critical, 1 high, 2 medium, 1 low), 3 suppressed, 1 input error
//
// A line too wide is wrapped between its parts.
func (t *Table) writeSummaryLegacy(b *strings.Builder, s finding.Summary, width int) {
	// A part is plain text for measuring and the same text as printed; sep follows it.
	type part struct{ plain, printed, sep string }
	parts := []part{{pluralLegacy(s.Objects, "object") + " scanned:", "", " "}}
	add := func(plain, printed string) {
		parts[len(parts)-1].sep = ", "
		parts = append(parts, part{plain, printed, ""})
	}
	if s.Findings == 0 {
		parts = append(parts, part{"no findings", "", ""})
	} else {
		text := pluralLegacy(s.Findings, "finding")
		if s.RootCauses > 0 && s.RootCauses != s.Findings {
			text += " in " + pluralLegacy(s.RootCauses, "root cause")
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
		add(pluralLegacy(s.Skipped, "file")+" skipped", "")
	}
	if s.Errors > 0 {
		text := pluralLegacy(s.Errors, "input error")
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

// wrapSpaceLegacy reports the characters wrap breaks words at: the spaces and tabs that
// strings.Fields splits at, but none that Escape shows (carriage return, form feed,
// vertical tab, NEL, the line and paragraph separators).
func wrapSpaceLegacy(r rune) bool { return r == '\t' || (unicode.IsSpace(r) && !unsafeRune(r)) }

func pluralLegacy(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// wrap breaks text into lines of at most width runes at spaces; a word longer than a
// line is cut. Line breaks in the text are kept; other control and format characters are
// escaped (see Escape), tabs and Unicode spaces separate words as spaces do.
func wrapLegacy(text string, width int) []string {
	width = max(width, 20)
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		var cur []rune
		for _, word := range strings.FieldsFunc(para, wrapSpaceLegacy) {
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

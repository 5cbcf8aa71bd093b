package report

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/xml"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// JUnit XML output, for CI systems that show test results (GitLab, Jenkins, Azure
// DevOps, GitHub test-report actions):
//
//   - one <testsuite> per rule, named by rule ID, in ID order; every rule that ran has
//     one, so dashboards show what was checked;
//   - one <testcase> per (rule, resource) that has findings, named by the resource, with
//     classname the rule ID; its <failure> lists every finding's message, field path and
//     file:line; when all its findings are suppressed it is <skipped> instead, with the
//     reason;
//   - a rule without findings has one passing testcase, "no findings";
//   - input errors are failing testcases (<error>) of a suite "moat/inputs", and
//     warnings are that suite's <system-err>.
//
// Counts (tests, failures, errors, skipped) are per suite and totalled on <testsuites>.
// Times are 0: the format asks for them, and real ones would make output differ between
// identical runs.

// InputsSuite is the JUnit suite that holds input errors and warnings.
const InputsSuite = "moat/inputs"

// NoFindingsCase is the name of the passing testcase of a rule without findings.
const NoFindingsCase = "no findings"

// The document is written as it is made, in exactly the bytes encoding/xml's indenting
// encoder gave for the structs it was once built as (TestJUnitStreamMatchesEncoder).
// Only the findings' indexes are grouped first, by rule and resource, since the counts
// on <testsuites> come before everything; then the testcases of a large report are
// appended in blocks on several goroutines (blocks.go).

// junitGroup is a testcase of a rule's suite: a resource's findings, as the range
// [lo, hi) of the findings' indexes grouped by rule and resource.
type junitGroup struct {
	lo, hi   int32
	open     int32 // findings not suppressed
	suppress int32
}

type junitSuiteIdx struct {
	m     rule.Meta
	cases []junitGroup
	fail  int
	skip  int
	// remediation is the one line of the rule's remediation, made once a rule.
	remediation string
}

// junitEntry is a finding's place in the grouping: its rule's suite, its resource's
// rank in resource order, and its index.
type junitEntry struct {
	rule, res, i int32
}

// groupJUnit groups the findings' indexes by suite and, within a suite, by resource in
// resource order, each resource's in report order. Every resource gets a small integer
// rank once, so the grouping is one sort of fixed-size entries rather than a map keyed
// by the full resource per rule.
func groupJUnit(r *Report, ix *ruleIndex) ([]junitSuiteIdx, []int32) {
	fs := r.Findings
	ids := map[finding.Resource]int32{}
	var resources []finding.Resource
	entries := make([]junitEntry, len(fs))
	lastRule, lastRuleIdx := "", int32(-1)
	var lastRes finding.Resource
	lastID := int32(-1)
	for i := range fs {
		f := &fs[i]
		if lastRuleIdx < 0 || f.RuleID != lastRule {
			lastRule, lastRuleIdx = f.RuleID, int32(ix.pos[f.RuleID])
		}
		if lastID < 0 || f.Resource != lastRes {
			id, ok := ids[f.Resource]
			if !ok {
				id = int32(len(resources))
				ids[f.Resource] = id
				resources = append(resources, f.Resource)
			}
			lastRes, lastID = f.Resource, id
		}
		entries[i] = junitEntry{rule: lastRuleIdx, res: lastID, i: int32(i)}
	}
	order := make([]int32, len(resources))
	for k := range order {
		order[k] = int32(k)
	}
	slices.SortFunc(order, func(a, b int32) int { return compareResources(resources[a], resources[b]) })
	rank := make([]int32, len(resources))
	for k, id := range order {
		rank[id] = int32(k)
	}
	for k := range entries {
		entries[k].res = rank[entries[k].res]
	}
	slices.SortFunc(entries, func(a, b junitEntry) int {
		return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.res, b.res), cmp.Compare(a.i, b.i))
	})

	idx := make([]int32, len(entries))
	suites := make([]junitSuiteIdx, len(ix.Rules))
	for si, m := range ix.Rules {
		suites[si].m = m
		suites[si].remediation = oneLine(m.Remediation)
	}
	for k := 0; k < len(entries); {
		e := entries[k]
		s := &suites[e.rule]
		c := junitGroup{lo: int32(k)}
		for ; k < len(entries) && entries[k].rule == e.rule && entries[k].res == e.res; k++ {
			i := entries[k].i
			idx[k] = i
			if fs[i].Suppressed == nil {
				c.open++
			} else {
				c.suppress++
			}
		}
		c.hi = int32(k)
		s.cases = append(s.cases, c)
		if c.open > 0 {
			s.fail++
		} else {
			s.skip++
		}
	}
	return suites, idx
}

func renderJUnit(w io.Writer, r *Report) error { return writeJUnit(w, r, parallel{}) }

// writeJUnit writes the document, its testcases encoded in blocks as par says.
func writeJUnit(w io.Writer, r *Report, par parallel) error {
	ix := indexRules(r)
	suites, idx := groupJUnit(r, ix)
	var tests, failures, errs, skipped int
	for si := range suites {
		s := &suites[si]
		tests += max(len(s.cases), 1)
		failures += s.fail
		skipped += s.skip
	}
	inputs := len(r.Errors)+len(r.Warnings) > 0
	if inputs {
		tests += max(len(r.Errors), 1)
		errs += len(r.Errors)
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	b := make([]byte, 0, 4096)
	b = append(b, xml.Header...)
	b = append(b, `<testsuites name="moat"`...)
	b = appendCounts(b, tests, failures, errs, skipped)
	if len(suites) == 0 && !inputs {
		b = append(b, "></testsuites>\n"...)
		if _, err := bw.Write(b); err != nil {
			return err
		}
		return bw.Flush()
	}
	b = append(b, '>')
	if _, err := bw.Write(b); err != nil {
		return err
	}
	// A unit is a testcase (the suite's opening before its first, its closing after its
	// last), or the whole suite of a rule without findings.
	units := groupUnits(len(suites), func(si int) int { return len(suites[si].cases) })
	par = par.withDefaults()
	bounds := blockBounds(len(units), par.blockSize, func(i int) int { return junitWeight(suites, units[i]) })
	err := par.writeBlocks(bw, len(bounds)-1, len(r.Findings), func() blockEncoder {
		jw := junitWriter{r: r, idx: idx, suites: suites}
		return func(b []byte, k int) []byte {
			for _, u := range units[bounds[k]:bounds[k+1]] {
				b = jw.appendUnit(b, u)
			}
			return b
		}
	})
	if err != nil {
		return err
	}
	b = b[:0]
	if inputs {
		b = appendInputSuite(b, r)
	}
	b = append(b, "\n</testsuites>\n"...)
	if _, err := bw.Write(b); err != nil {
		return err
	}
	return bw.Flush()
}

// appendCounts appends the count attributes of a suite or of all suites, and time="0".
func appendCounts(b []byte, tests, failures, errs, skipped int) []byte {
	b = append(b, ` tests="`...)
	b = strconv.AppendInt(b, int64(tests), 10)
	b = append(b, `" failures="`...)
	b = strconv.AppendInt(b, int64(failures), 10)
	b = append(b, `" errors="`...)
	b = strconv.AppendInt(b, int64(errs), 10)
	b = append(b, `" skipped="`...)
	b = strconv.AppendInt(b, int64(skipped), 10)
	return append(b, `" time="0"`...)
}

// junitWeight is the findings a unit (a testcase, or a suite without findings) writes,
// at least one.
func junitWeight(suites []junitSuiteIdx, u blockUnit) int {
	if u.at < 0 {
		return 1
	}
	c := &suites[u.group].cases[u.at]
	return int(c.hi - c.lo)
}

// junitWriter encodes units; each goroutine that encodes them has its own, for the
// buffers that testcases reuse.
type junitWriter struct {
	r       *Report
	idx     []int32 // findings' indexes, grouped as the cases' ranges say
	suites  []junitSuiteIdx
	body    []byte
	text    []byte
	reasons []string
}

// appendUnit appends a unit, with its suite's opening or closing when it is the first
// or last of the suite.
func (jw *junitWriter) appendUnit(b []byte, u blockUnit) []byte {
	s := &jw.suites[u.group]
	if u.at <= 0 {
		b = appendSuiteOpening(b, s)
	}
	if u.at >= 0 {
		b = jw.appendFindingCase(b, s, &s.cases[u.at])
	}
	if u.at < 0 || int(u.at) == len(s.cases)-1 {
		b = append(b, "\n  </testsuite>"...)
	}
	return b
}

// appendSuiteOpening appends a rule's suite up to its first testcase, or with its one
// passing testcase when the rule found nothing.
func appendSuiteOpening(b []byte, s *junitSuiteIdx) []byte {
	m := &s.m
	b = append(b, "\n  <testsuite name=\""...)
	b = appendXMLAttr(b, m.ID)
	b = append(b, '"')
	b = appendCounts(b, max(len(s.cases), 1), s.fail, 0, s.skip)
	b = append(b, ">\n    <properties>"...)
	b = appendProperty(b, "title", m.Title)
	b = appendProperty(b, "severity", m.Severity.String())
	for _, ref := range references(m.Frameworks) {
		b = appendProperty(b, ref.Key, ref.Control)
	}
	b = append(b, "\n    </properties>"...)
	if len(s.cases) == 0 {
		b = append(b, "\n    <testcase name=\""+NoFindingsCase+"\" classname=\""...)
		b = appendXMLAttr(b, m.ID)
		b = append(b, `" time="0"></testcase>`...)
	}
	return b
}

func appendProperty(b []byte, name, value string) []byte {
	b = append(b, "\n      <property name=\""...)
	b = appendXMLAttr(b, name)
	b = append(b, `" value="`...)
	b = appendXMLAttr(b, value)
	return append(b, `"></property>`...)
}

// appendFindingCase appends the testcase of one resource's findings of a rule: a
// <failure> that lists them, or <skipped> when every one is suppressed.
func (jw *junitWriter) appendFindingCase(b []byte, s *junitSuiteIdx, c *junitGroup) []byte {
	fs := jw.r.Findings
	m := &s.m
	cidx := jw.idx[c.lo:c.hi]
	res := &fs[cidx[0]].Resource
	ruleID := m.ID
	b = append(b, "\n    <testcase name=\""...)
	b = appendXMLAttr(b, res.Kind)
	b = append(b, '/')
	if res.Namespace != "" {
		b = appendXMLAttr(b, res.Namespace)
		b = append(b, '/')
	}
	b = appendXMLAttr(b, res.Name)
	b = append(b, `" classname="`...)
	b = appendXMLAttr(b, ruleID)
	b = append(b, `" time="0"`...)
	for _, i := range cidx {
		if src := fs[i].Source; src != nil && !isPseudoFile(src.File) {
			if src.File != "" {
				b = append(b, ` file="`...)
				b = appendXMLAttr(b, src.File)
				b = append(b, '"')
			}
			if src.Line != 0 {
				b = append(b, ` line="`...)
				b = strconv.AppendInt(b, int64(src.Line), 10)
				b = append(b, '"')
			}
			break
		}
	}
	if c.open == 0 {
		jw.reasons = jw.reasons[:0]
		for _, i := range cidx {
			if t := suppressionText(fs[i].Suppressed); !slices.Contains(jw.reasons, t) {
				jw.reasons = append(jw.reasons, t)
			}
		}
		b = append(b, ">\n      <skipped message=\""...)
		for k, t := range jw.reasons {
			if k > 0 {
				b = append(b, "; "...)
			}
			b = appendXMLAttr(b, t)
		}
		return append(b, "\"></skipped>\n    </testcase>"...)
	}
	worst := finding.Info
	first := int32(-1)
	b = append(b, ">\n      <failure message=\""...)
	jw.body = jw.body[:0]
	for _, i := range cidx {
		if f := &fs[i]; f.Suppressed == nil {
			if first < 0 {
				first, worst = i, f.Severity
			} else {
				b = append(b, "; "...)
			}
			worst = max(worst, f.Severity)
			b = appendXMLAttr(b, f.Message)
			jw.body = appendJUnitFindingText(jw.body, f)
		}
	}
	for _, i := range cidx {
		if f := &fs[i]; f.Suppressed != nil {
			jw.body = appendJUnitFindingText(jw.body, f)
		}
	}
	rem := s.remediation
	if m.Remediation == "" {
		rem = oneLine(fs[first].Remediation)
	}
	if rem != "" {
		jw.body = append(jw.body, "Remediation: "...)
		jw.body = append(jw.body, rem...)
		jw.body = append(jw.body, '\n')
	}
	b = append(b, `" type="`...)
	b = append(b, worst.String()...)
	b = append(b, `">`...)
	jw.text = appendXMLText(jw.text[:0], jw.body)
	b = appendCDATA(b, jw.text)
	return append(b, "</failure>\n    </testcase>"...)
}

// appendJUnitFindingText appends one finding of a failure's body.
func appendJUnitFindingText(b []byte, f *finding.Finding) []byte {
	b = append(b, '[')
	b = append(b, f.Severity.String()...)
	b = append(b, "] "...)
	b = append(b, f.Message...)
	b = append(b, '\n')
	if f.Suppressed != nil {
		b = append(b, "  "...)
		b = append(b, suppressionText(f.Suppressed)...)
		b = append(b, '\n')
	}
	if f.Path != "" {
		b = append(b, "  path: "...)
		b = append(b, f.Path...)
		b = append(b, '\n')
	}
	if s := f.Source; s != nil && s.File != "" {
		b = append(b, "  at: "...)
		b = append(b, s.File...)
		if s.Line > 0 {
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(s.Line), 10)
		}
		if s.Origin != "" {
			b = append(b, " ("...)
			b = append(b, s.Origin...)
			b = append(b, ')')
		}
		b = append(b, '\n')
	}
	return b
}

// appendInputSuite appends the suite of input errors and warnings.
func appendInputSuite(b []byte, r *Report) []byte {
	b = append(b, "\n  <testsuite name=\""+InputsSuite+"\""...)
	b = appendCounts(b, max(len(r.Errors), 1), 0, len(r.Errors), 0)
	b = append(b, '>')
	for _, e := range r.Errors {
		// Errors read "file:line: problem"; the place names the testcase.
		name := e
		if i := strings.Index(e, ": "); i > 0 {
			name = e[:i]
		}
		b = append(b, "\n    <testcase name=\""...)
		b = appendXMLAttr(b, name)
		b = append(b, "\" classname=\""+InputsSuite+"\" time=\"0\">\n      <error message=\""...)
		b = appendXMLAttr(b, e)
		b = append(b, "\" type=\"input\"></error>\n    </testcase>"...)
	}
	if len(r.Errors) == 0 {
		b = append(b, "\n    <testcase name=\"all inputs read\" classname=\""+InputsSuite+"\" time=\"0\"></testcase>"...)
	}
	if len(r.Warnings) > 0 {
		b = append(b, "\n    <system-err>"...)
		body := []byte("warning: " + strings.Join(r.Warnings, "\nwarning: ") + "\n")
		b = appendCDATA(b, appendXMLText(nil, body))
		b = append(b, "</system-err>"...)
	}
	return append(b, "\n  </testsuite>"...)
}

// appendXMLAttr appends s escaped as encoding/xml escapes an attribute value: the five
// markup characters, tab and line breaks as character references, and U+FFFD for each
// byte of invalid UTF-8 and each character XML does not allow. Runs of plain ASCII are
// passed over eight bytes at a time and copied whole.
func appendXMLAttr(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		for i+8 <= len(s) && xmlAttrPlainWord(load64(s, i)) {
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		var esc string
		width := 1
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				esc = "&#34;"
			case '\'':
				esc = "&#39;"
			case '&':
				esc = "&amp;"
			case '<':
				esc = "&lt;"
			case '>':
				esc = "&gt;"
			case '\t':
				esc = "&#x9;"
			case '\n':
				esc = "&#xA;"
			case '\r':
				esc = "&#xD;"
			default:
				if c < 0x20 {
					esc = "\uFFFD"
				}
			}
		} else {
			var r rune
			r, width = utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && width == 1) || !xmlCharacter(r) {
				esc = "\uFFFD"
			}
		}
		i += width
		if esc == "" {
			continue
		}
		b = append(b, s[last:i-width]...)
		b = append(b, esc...)
		last = i
	}
	return append(b, s[last:]...)
}

// xmlCharacter is XML 1.0's Char, for characters outside ASCII.
func xmlCharacter(r rune) bool {
	return r <= 0xD7FF || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// appendXMLText appends s as xmlText writes it, copying runs of plain ASCII whole.
func appendXMLText(b, s []byte) []byte {
	last := 0
	for i := 0; i < len(s); {
		for i+8 <= len(s) && xmlTextPlainWord(load64b(s, i)) {
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				b = append(b, s[last:i]...)
				b = append(b, "\uFFFD"...)
				last = i + 1
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n == 1 || (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
			b = append(b, s[last:i]...)
			b = append(b, "\uFFFD"...)
			last = i + n
		}
		i += n
	}
	return append(b, s[last:]...)
}

// appendCDATA appends s as a CDATA section as encoding/xml writes one: nothing for empty
// text, and each "]]>" inside split across two sections.
func appendCDATA(b, s []byte) []byte {
	if len(s) == 0 {
		return b
	}
	b = append(b, "<![CDATA["...)
	for {
		before, after, ok := bytes.Cut(s, []byte("]]>"))
		if !ok {
			break
		}
		b = append(b, before...)
		b = append(b, "]]]]><![CDATA[>"...)
		s = after
	}
	b = append(b, s...)
	return append(b, "]]>"...)
}

// xmlText replaces the characters XML 1.0 does not allow (control characters other than
// tab and line breaks) with U+FFFD: the encoder escapes attributes and character data,
// but writes CDATA as it is.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return '\uFFFD'
		}
		return r
	}, s)
}

// compareResources orders resources as findings are ordered: namespace, kind, name.
func compareResources(a, b finding.Resource) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Name, b.Name), cmp.Compare(a.APIVersion, b.APIVersion))
}

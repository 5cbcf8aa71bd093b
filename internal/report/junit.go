package report

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

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

func renderJUnit(w io.Writer, r *Report) error {
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

package report

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/finding"
)

func TestJUnitGolden(t *testing.T) {
	golden(t, "report.junit.xml", render(t, RendererFunc[*Report](renderJUnit), fixture()))
}

// junitDoc reads JUnit XML back, independently of the renderer's types.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			File      string `xml:"file,attr"`
			Line      int    `xml:"line,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
		SystemErr string `xml:"system-err"`
	} `xml:"testsuite"`
}

func TestJUnitCounts(t *testing.T) {
	rep := fixture()
	var doc junitDoc
	if err := xml.Unmarshal(render(t, RendererFunc[*Report](renderJUnit), rep), &doc); err != nil {
		t.Fatalf("output is not JUnit XML: %v", err)
	}
	// Expected testcases, worked out from the findings: one per (rule, resource).
	type key struct{ rule, res string }
	open, all := map[key]bool{}, map[key]bool{}
	for _, f := range rep.Findings {
		k := key{f.RuleID, f.Resource.String()}
		all[k] = true
		if f.Suppressed == nil {
			open[k] = true
		}
	}
	var tests, failures, errors, skipped int
	for _, s := range doc.Suites {
		var st, sf, se, ss int
		for _, c := range s.Cases {
			st++
			switch {
			case c.Failure != nil:
				sf++
				if !open[key{s.Name, c.Name}] {
					t.Errorf("%s %s fails without an open finding", s.Name, c.Name)
				}
			case c.Error != nil:
				se++
			case c.Skipped != nil:
				ss++
				if open[key{s.Name, c.Name}] || !all[key{s.Name, c.Name}] {
					t.Errorf("%s %s skipped, but it has open findings or none", s.Name, c.Name)
				}
			}
		}
		if s.Tests != st || s.Failures != sf || s.Errors != se || s.Skipped != ss {
			t.Errorf("suite %s counts tests=%d failures=%d errors=%d skipped=%d; its testcases give %d %d %d %d",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, st, sf, se, ss)
		}
		tests, failures, errors, skipped = tests+st, failures+sf, errors+se, skipped+ss
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != errors || doc.Skipped != skipped {
		t.Errorf("testsuites counts %d %d %d %d; suites give %d %d %d %d",
			doc.Tests, doc.Failures, doc.Errors, doc.Skipped, tests, failures, errors, skipped)
	}
	if failures != len(open) {
		t.Errorf("%d failing testcases, want %d (rule, resource) pairs with open findings", failures, len(open))
	}
	skippedPairs := 0
	for k := range all {
		if !open[k] {
			skippedPairs++
		}
	}
	if skipped != skippedPairs || errors != len(rep.Errors) {
		t.Errorf("skipped %d errors %d; want %d and %d", skipped, errors, skippedPairs, len(rep.Errors))
	}
	// One suite per rule that ran, plus the inputs suite; the rule without findings passes.
	if len(doc.Suites) != len(rep.Rules)+1 || doc.Suites[len(doc.Suites)-1].Name != InputsSuite {
		t.Fatalf("%d suites, want %d rule suites and %s", len(doc.Suites), len(rep.Rules), InputsSuite)
	}
	for _, s := range doc.Suites {
		switch s.Name {
		case "pod/host-path-volumes":
			if len(s.Cases) != 1 || s.Cases[0].Name != NoFindingsCase || s.Cases[0].Failure != nil || s.Cases[0].Skipped != nil {
				t.Errorf("rule without findings: cases %+v, want one passing %q", s.Cases, NoFindingsCase)
			}
		case InputsSuite:
			if !strings.Contains(s.SystemErr, rep.Warnings[0]) {
				t.Errorf("warnings missing from %s system-err: %q", InputsSuite, s.SystemErr)
			}
		}
	}
}

// A failure lists every open finding of its resource with message, path and file:line.
func TestJUnitFailureLists(t *testing.T) {
	rep := fixture()
	second := rep.Findings[0]
	for _, f := range rep.Findings {
		if f.Resource.Name == "cart" && f.RuleID == "pod/privileged-container" {
			second = f
		}
	}
	second.Message = `container "sidecar" sets securityContext.privileged=true`
	second.Path = "spec.template.spec.containers[1].securityContext.privileged"
	second.Source = &finding.Source{File: "examples/shop/cart.yaml", Line: 44}
	rep.Findings = append(rep.Findings, second)
	finding.Sort(rep.Findings)

	var doc junitDoc
	if err := xml.Unmarshal(render(t, RendererFunc[*Report](renderJUnit), rep), &doc); err != nil {
		t.Fatal(err)
	}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if s.Name != "pod/privileged-container" || c.Name != "Deployment/shop/cart" {
				continue
			}
			if c.Failure == nil || c.Failure.Type != "critical" || c.File != "examples/shop/cart.yaml" || c.Line != 27 {
				t.Fatalf("testcase %+v: want a critical failure at examples/shop/cart.yaml line 27", c)
			}
			for _, want := range []string{
				`container "app" sets securityContext.privileged=true`, "spec.template.spec.containers[0].securityContext.privileged", "examples/shop/cart.yaml:27",
				`container "sidecar" sets securityContext.privileged=true`, "spec.template.spec.containers[1].securityContext.privileged", "examples/shop/cart.yaml:44",
				"Remediation: ",
			} {
				if !strings.Contains(c.Failure.Text, want) {
					t.Errorf("failure text lacks %q:\n%s", want, c.Failure.Text)
				}
			}
			if !strings.Contains(c.Failure.Message, "sidecar") || !strings.Contains(c.Failure.Message, `"app"`) {
				t.Errorf("failure message %q does not name both findings", c.Failure.Message)
			}
			return
		}
	}
	t.Fatal("no testcase for Deployment/shop/cart in pod/privileged-container")
}

// Messages come from manifests: control characters and "]]>" must not break the XML.
func TestJUnitHostileText(t *testing.T) {
	rep := fixture()
	for i := range rep.Findings {
		rep.Findings[i].Message = "value \x1b[31m\x00 ends with ]]> and <b>&amp;</b>"
	}
	var doc junitDoc
	if err := xml.Unmarshal(render(t, RendererFunc[*Report](renderJUnit), rep), &doc); err != nil {
		t.Fatalf("output is not well-formed XML: %v", err)
	}
	found := false
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				found = true
				if !strings.Contains(c.Failure.Text, "ends with ]]> and <b>&amp;</b>") {
					t.Errorf("failure text mangled: %q", c.Failure.Text)
				}
			}
		}
	}
	if !found {
		t.Fatal("no failure to check")
	}
}

package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// A chart field that template code wrote has no template line: the table and SARIF
// say so instead of printing a line, and SARIF leaves out the region, which needs a
// start line, while staying valid.
func TestLineUnknown(t *testing.T) {
	res := deployment("shop", "web")
	src := func(line int, why string) *finding.Source {
		return &finding.Source{File: "charts/shop/templates/web.yaml", Line: line, Origin: "helm:shop", LineUnknown: why}
	}
	rep := &Report{
		Findings: []finding.Finding{
			result(privileged, res, `container "web" sets securityContext.privileged=true`,
				"spec.template.spec.containers[0].securityContext.privileged", src(0, "rendered by template code")),
			result(latestTag, res, `container "web" uses image "nginx:latest"`,
				"spec.template.spec.containers[0].image", src(21, "")),
		},
		Rules: []*rule.Rule{{Meta: privileged}, {Meta: latestTag}},
	}
	rep.Summary = finding.Summarize(1, rep.Findings, 0)

	table := string(render(t, &Table{}, rep))
	for _, want := range []string{"line unknown (rendered by template code)", "line 21"} {
		if !strings.Contains(table, want) {
			t.Errorf("table does not say %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "line 0") {
		t.Errorf("table prints line 0:\n%s", table)
	}

	out := render(t, RendererFunc[*Report](renderSARIF), rep)
	validateSARIF(t, sarifSchema(t), out)
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						Region *struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
					Message *struct {
						Text string `json:"text"`
					} `json:"message"`
					Properties struct {
						LineUnknown string `json:"lineUnknown"`
					} `json:"properties"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc.Runs[0].Results {
		loc := r.Locations[0]
		switch r.RuleID {
		case privileged.ID:
			if loc.PhysicalLocation.Region != nil || loc.Message == nil || loc.Message.Text != "line unknown: rendered by template code" || loc.Properties.LineUnknown == "" {
				t.Errorf("unknown line: region %+v message %+v properties %+v, want no region and the reason", loc.PhysicalLocation.Region, loc.Message, loc.Properties)
			}
		case latestTag.ID:
			if loc.PhysicalLocation.Region == nil || loc.PhysicalLocation.Region.StartLine != 21 || loc.Message != nil {
				t.Errorf("known line: region %+v message %+v, want startLine 21 and no message", loc.PhysicalLocation.Region, loc.Message)
			}
		}
	}
}

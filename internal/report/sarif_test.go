package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/moat-dev/moat/internal/finding"
)

// offline refuses every load: the schema and its draft-04 meta-schema must come from the
// test data and the library, never from the network.
type offline struct{}

func (offline) Load(url string) (any, error) {
	return nil, fmt.Errorf("refusing to load %s: the SARIF schema test runs offline", url)
}

// sarifSchema compiles the OASIS SARIF 2.1.0 schema kept in testdata (see its README).
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := doc.(map[string]any)["id"].(string)
	if id != SARIFSchemaURI {
		t.Fatalf("schema id %q, want %q (the $schema Moat writes)", id, SARIFSchemaURI)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(offline{})
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validateSARIF(t *testing.T, sch *jsonschema.Schema, out []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("output does not conform to the SARIF 2.1.0 schema: %v", err)
	}
}

func TestSARIFGolden(t *testing.T) {
	golden(t, "report.sarif", render(t, RendererFunc[*Report](renderSARIF), fixture()))
}

func TestSARIFConformsToSchema(t *testing.T) {
	sch := sarifSchema(t)
	validateSARIF(t, sch, render(t, RendererFunc[*Report](renderSARIF), fixture()))
	validateSARIF(t, sch, render(t, RendererFunc[*Report](renderSARIF), &Report{Summary: finding.Summarize(0, nil, 0)}))

	// The schema is strict enough to catch a mistake.
	bad := bytes.Replace(render(t, RendererFunc[*Report](renderSARIF), fixture()), []byte(`"level": "error"`), []byte(`"level": "critical"`), 1)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	if sch.Validate(inst) == nil {
		t.Error(`level "critical" passed the schema`)
	}
}

// sarifDoc is the part of a SARIF log the tests read back.
type sarifDoc struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Version string `json:"version"`
				Rules   []struct {
					ID                   string `json:"id"`
					Name                 string `json:"name"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					Help struct {
						Text     string `json:"text"`
						Markdown string `json:"markdown"`
					} `json:"help"`
					Properties struct {
						Tags             []string `json:"tags"`
						SecuritySeverity string   `json:"security-severity"`
					} `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			ExecutionSuccessful bool `json:"executionSuccessful"`
			Notifications       []struct {
				Level   string `json:"level"`
				Message struct {
					Text string `json:"text"`
				} `json:"message"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
				LogicalLocations []struct {
					FullyQualifiedName string `json:"fullyQualifiedName"`
					Kind               string `json:"kind"`
				} `json:"logicalLocations"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Suppressions        []struct {
				Kind          string `json:"kind"`
				Justification string `json:"justification"`
			} `json:"suppressions"`
		} `json:"results"`
	} `json:"runs"`
}

func TestSARIFContent(t *testing.T) {
	rep := fixture()
	var doc sarifDoc
	if err := json.Unmarshal(render(t, RendererFunc[*Report](renderSARIF), rep), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(doc.Runs))
	}
	run := doc.Runs[0]
	drv := run.Tool.Driver
	if drv.Version != rep.ToolVersion {
		t.Errorf("driver version %q, want %q", drv.Version, rep.ToolVersion)
	}
	if len(drv.Rules) != len(rep.Rules) {
		t.Fatalf("%d rule descriptors, want one per rule that ran (%d)", len(drv.Rules), len(rep.Rules))
	}
	for i := 1; i < len(drv.Rules); i++ {
		if drv.Rules[i-1].ID >= drv.Rules[i].ID {
			t.Errorf("rules not sorted by ID: %s before %s", drv.Rules[i-1].ID, drv.Rules[i].ID)
		}
	}
	wantRule := map[string]struct{ level, score string }{
		"pod/privileged-container": {"error", "9.5"}, "rbac/cluster-admin-binding": {"error", "8.0"},
		"pod/run-as-non-root": {"warning", "5.5"}, "image/latest-tag": {"warning", "5.5"},
	}
	for _, d := range drv.Rules {
		if w, ok := wantRule[d.ID]; ok && (d.DefaultConfiguration.Level != w.level || d.Properties.SecuritySeverity != w.score) {
			t.Errorf("rule %s: level %q, security-severity %q; want %q, %q", d.ID, d.DefaultConfiguration.Level, d.Properties.SecuritySeverity, w.level, w.score)
		}
		if !strings.Contains(strings.Join(d.Properties.Tags, " "), "security") {
			t.Errorf("rule %s: tags %v lack security", d.ID, d.Properties.Tags)
		}
		if !strings.Contains(d.Help.Text, "Remediation: ") || !strings.Contains(d.Help.Markdown, "CIS Kubernetes Benchmark") && d.ID != "image/latest-tag" {
			t.Errorf("rule %s: help lacks remediation or references: %+v", d.ID, d.Help)
		}
	}
	if d := drv.Rules[0]; d.ID != "image/latest-tag" || d.Name != "LatestTag" {
		t.Errorf("first rule %s named %q, want image/latest-tag named LatestTag", d.ID, d.Name)
	}

	if len(run.Invocations) != 1 || run.Invocations[0].ExecutionSuccessful {
		t.Fatalf("invocations %+v: want one, unsuccessful (the report has an input error)", run.Invocations)
	}
	if n := run.Invocations[0].Notifications; len(n) != 2 || n[0].Level != "error" || n[0].Message.Text != rep.Errors[0] || n[1].Level != "warning" {
		t.Errorf("notifications %+v: want the error then the warning", n)
	}

	if len(run.Results) != len(rep.Findings) {
		t.Fatalf("%d results, want %d", len(run.Results), len(rep.Findings))
	}
	seen := map[string]bool{}
	for i, res := range run.Results {
		f := rep.Findings[i]
		if res.RuleID != f.RuleID || drv.Rules[res.RuleIndex].ID != f.RuleID {
			t.Errorf("result %d: ruleId %s, ruleIndex %d (%s); want %s", i, res.RuleID, res.RuleIndex, drv.Rules[res.RuleIndex].ID, f.RuleID)
		}
		if want := sarifLevel(f.Severity); res.Level != want {
			t.Errorf("result %d (%s): level %s, want %s", i, f.Severity, res.Level, want)
		}
		if len(res.Locations) != 1 || len(res.Locations[0].LogicalLocations) != 1 {
			t.Fatalf("result %d: want one location with one logical location: %+v", i, res.Locations)
		}
		loc := res.Locations[0]
		if ll := loc.LogicalLocations[0]; ll.FullyQualifiedName != f.Resource.String() || ll.Kind != "resource" {
			t.Errorf("result %d: logical location %+v, want %s", i, ll, f.Resource)
		}
		switch {
		case f.Source == nil || f.Source.File == "<stdin>":
			if loc.PhysicalLocation != nil {
				t.Errorf("result %d: physical location %+v for a finding without a file", i, loc.PhysicalLocation)
			}
		default:
			pl := loc.PhysicalLocation
			if pl == nil || pl.ArtifactLocation.URI != f.Source.File || pl.ArtifactLocation.URIBaseID != "%SRCROOT%" ||
				pl.Region == nil || pl.Region.StartLine != f.Source.Line {
				t.Errorf("result %d: physical location %+v, want %s relative to %%SRCROOT%%", i, pl, f.Source)
			}
		}
		fp := res.PartialFingerprints[fingerprintKey]
		if len(fp) != 32 || seen[fp] {
			t.Errorf("result %d: fingerprint %q missing or not unique", i, fp)
		}
		seen[fp] = true
		switch {
		case f.Suppressed == nil:
			if len(res.Suppressions) != 0 {
				t.Errorf("result %d: suppressions on an open finding", i)
			}
		case len(res.Suppressions) != 1 || res.Suppressions[0].Justification != f.Suppressed.Reason ||
			res.Suppressions[0].Kind != map[string]string{"annotation": "inSource", "config": "external"}[f.Suppressed.Kind]:
			t.Errorf("result %d: suppressions %+v for %+v", i, res.Suppressions, f.Suppressed)
		}
	}
}

// A finding keeps its fingerprint when its line or message changes, and a different
// resource or field path gives another.
func TestFingerprint(t *testing.T) {
	var f finding.Finding
	for _, f = range fixture().Findings {
		if f.Source != nil {
			break
		}
	}
	moved := f
	moved.Source = &finding.Source{File: f.Source.File, Line: f.Source.Line + 10}
	moved.Message = "reworded"
	if Fingerprint(moved) != Fingerprint(f) {
		t.Error("fingerprint changed with line and message")
	}
	other := f
	other.Path = "spec.template.spec.containers[1].securityContext.privileged"
	renamed := f
	renamed.Resource.Name = "cart-v2"
	if Fingerprint(other) == Fingerprint(f) || Fingerprint(renamed) == Fingerprint(f) {
		t.Error("fingerprint ignores path or resource")
	}
}

func TestSARIFArtifactLocation(t *testing.T) {
	for _, tc := range []struct{ name, file, uri, base string }{
		{"relative path", "examples/shop/cart.yaml", "examples/shop/cart.yaml", "%SRCROOT%"},
		{"dot-relative path kept as given", "./deploy/rbac.yaml", "./deploy/rbac.yaml", "%SRCROOT%"},
		{"space escaped", "my manifests/app.yaml", "my%20manifests/app.yaml", "%SRCROOT%"},
		{"absolute path is a file URI", "/srv/manifests/app.yaml", "file:///srv/manifests/app.yaml", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := artifactLocation(tc.file)
			if got.URI != tc.uri || got.URIBaseID != tc.base {
				t.Errorf("artifactLocation(%q) = %+v, want uri %q base %q", tc.file, got, tc.uri, tc.base)
			}
		})
	}
}

// A finding whose rule is not among the rules that ran still points to a descriptor.
func TestSARIFRuleOnlyInFinding(t *testing.T) {
	rep := fixture()
	rep.Rules = rep.Rules[:1]
	out := render(t, RendererFunc[*Report](renderSARIF), rep)
	validateSARIF(t, sarifSchema(t), out)
	var doc sarifDoc
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	for i, res := range run.Results {
		if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %d: ruleIndex %d is %s, want %s", i, res.RuleIndex, run.Tool.Driver.Rules[res.RuleIndex].ID, res.RuleID)
		}
	}
}

package report

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/moat-dev/moat/internal/finding"
)

func TestJSONGolden(t *testing.T) {
	r := newRenderer(t, Findings, "json", Options{})
	golden(t, "report.json", render(t, r, fixture()))
}

// The JSON output keeps the version 1 contract of DESIGN.md.
func TestJSONContract(t *testing.T) {
	r := newRenderer(t, Findings, "json", Options{})
	out := render(t, r, fixture())
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "summary", "findings"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("no %q", k)
		}
	}
	if string(doc["version"]) != "1" {
		t.Errorf("version %s, want 1", doc["version"])
	}
	var summary bytes.Buffer
	if err := json.Compact(&summary, doc["summary"]); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(summary.Bytes(), []byte(`"bySeverity":{"critical":1,"high":1,"medium":2,"low":1,"info":0}`)) {
		t.Errorf("summary %s: bySeverity not in severity order", summary.Bytes())
	}
	var fs []map[string]json.RawMessage
	if err := json.Unmarshal(doc["findings"], &fs); err != nil {
		t.Fatal(err)
	}
	contract := []string{"ruleID", "severity", "title", "message", "resource", "source", "frameworks", "remediation"}
	var withSource bool
	for _, f := range fs {
		if _, ok := f["source"]; ok {
			withSource = true
			for _, k := range contract {
				if _, ok := f[k]; !ok {
					t.Errorf("finding %s lacks %q", f["ruleID"], k)
				}
			}
			if _, ok := f["path"]; !ok && !bytes.Contains(f["ruleID"], []byte("netpol/")) {
				t.Errorf("finding %s lacks a path", f["ruleID"])
			}
		}
	}
	if !withSource {
		t.Error("no finding with a source")
	}
	// Findings come back as they went in.
	var back JSONDocument
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(back.Findings, fixture().Findings, func(a, b finding.Finding) bool { return finding.Compare(a, b) == 0 }) {
		t.Error("findings do not round-trip")
	}
	empty := render(t, r, &Report{Summary: finding.Summarize(0, nil, 0)})
	if !bytes.Contains(empty, []byte(`"findings": []`)) {
		t.Errorf("an empty report must list no findings as [], got\n%s", empty)
	}
}

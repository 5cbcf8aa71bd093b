package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/report"
)

// run executes the command line in-process and returns exit code, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func decodeJSON(t *testing.T, s string) report.JSONDocument {
	t.Helper()
	var doc report.JSONDocument
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
	return doc
}

func hasRule(doc report.JSONDocument, id string) bool {
	for _, f := range doc.Findings {
		if f.RuleID == id {
			return true
		}
	}
	return false
}

func TestScanExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"a privileged pod fails at the default threshold", []string{"scan", "testdata/privileged.yaml"}, 1},
		{"a clean object passes even at the lowest threshold", []string{"scan", "--fail-on", "info", "testdata/plain-configmap.yaml"}, 0},
		{"a malformed document is an input error", []string{"scan", "testdata/broken.yaml"}, 2},
		{"a missing file is an input error", []string{"scan", "testdata/nope.yaml"}, 2},
		{"an unknown output format is a usage error", []string{"scan", "-o", "xml", "testdata/privileged.yaml"}, 2},
		{"an unknown severity is a usage error", []string{"scan", "--fail-on", "severe", "testdata/privileged.yaml"}, 2},
		{"scan without a path is a usage error", []string{"scan"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errb := run(t, "", tc.args...)
			if code != tc.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, out, errb)
			}
		})
	}
}

func TestScanJSONContract(t *testing.T) {
	code, out, _ := run(t, "", "scan", "-o", "json", "testdata/privileged.yaml")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	doc := decodeJSON(t, out)
	if doc.Version != 1 || doc.Summary.Objects != 1 || doc.Summary.Findings != len(doc.Findings) {
		t.Errorf("bad summary: %+v with %d findings", doc.Summary, len(doc.Findings))
	}
	var found bool
	for _, f := range doc.Findings {
		if f.RuleID == "pod/privileged-container" {
			found = true
			if f.Source == nil || f.Source.File != "testdata/privileged.yaml" || f.Source.Line != 11 {
				t.Errorf("privileged finding at %v, want testdata/privileged.yaml:11", f.Source)
			}
			if f.Frameworks.PSS != "baseline/privileged" {
				t.Errorf("frameworks.pss = %q, want baseline/privileged", f.Frameworks.PSS)
			}
		}
	}
	if !found {
		t.Errorf("no pod/privileged-container finding in %s", out)
	}
}

func TestScanReadsStdinAndGoesOnAfterErrors(t *testing.T) {
	pod, err := os.ReadFile("testdata/privileged.yaml")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errb := run(t, string(pod), "scan", "-o", "json", "-", "testdata/broken.yaml")
	if code != 2 {
		t.Errorf("exit %d, want 2 (input error)", code)
	}
	doc := decodeJSON(t, out)
	if doc.Summary.Objects != 2 {
		t.Errorf("%d objects, want 2 (the pod from stdin and the good ConfigMap)", doc.Summary.Objects)
	}
	if !hasRule(doc, "pod/privileged-container") {
		t.Error("stdin pod was not scanned")
	}
	if len(doc.Errors) != 1 || !strings.HasPrefix(doc.Errors[0], "testdata/broken.yaml:12:") {
		t.Errorf("errors = %q, want one naming testdata/broken.yaml:12", doc.Errors)
	}
	if !strings.Contains(errb, "testdata/broken.yaml:12") {
		t.Errorf("stderr does not name the bad document: %q", errb)
	}
}

func TestRulesJSON(t *testing.T) {
	code, out, _ := run(t, "", "rules", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Rules []struct {
			ID       string `json:"id"`
			Severity string `json:"severity"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Rules) < 60 {
		t.Errorf("%d rules, want at least 60", len(doc.Rules))
	}
	for _, r := range doc.Rules {
		if r.ID == "" || r.Severity == "" {
			t.Errorf("incomplete rule %+v", r)
		}
	}
}

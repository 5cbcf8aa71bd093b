package main

import (
	"strings"
	"testing"
)

// The filters of moat scan: what they drop is not reported and does not count for the
// exit code.
func TestScanFilters(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // rule IDs that must be reported
		absent   []string // rule IDs that must not
	}{
		{"--severity keeps findings at or above it", []string{"--severity", "critical"}, 1,
			[]string{"pod/privileged-container"}, []string{"pod/run-as-non-root", "image/not-pinned-by-digest"}},
		{"--rule keeps the matching rules", []string{"--rule", "image/*"}, 0,
			[]string{"image/not-pinned-by-digest"}, []string{"pod/privileged-container"}},
		{"--skip-rule drops the matching rules, and the gate follows", []string{"--skip-rule", "pod/privileged-container", "--skip-rule", "pod/*-host*", "--fail-on", "critical"}, 0,
			[]string{"image/not-pinned-by-digest"}, []string{"pod/privileged-container"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"scan", "-o", "json"}, tc.args...), "testdata/privileged.yaml")
			code, out, errb := run(t, "", args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tc.wantCode, errb)
			}
			doc := decodeJSON(t, out)
			for _, id := range tc.want {
				if !hasRule(doc, id) {
					t.Errorf("%s not reported", id)
				}
			}
			for _, id := range tc.absent {
				if hasRule(doc, id) {
					t.Errorf("%s reported", id)
				}
			}
		})
	}
	for _, bad := range [][]string{{"--severity", "severe"}, {"--rule", "[x"}, {"--skip-rule", "[x"}} {
		code, _, errb := run(t, "", append(append([]string{"scan"}, bad...), "testdata/privileged.yaml")...)
		if code != 2 || !strings.Contains(errb, bad[0]) {
			t.Errorf("%v: exit %d, stderr %q: want 2 naming the flag", bad, code, errb)
		}
	}
}

// The table groups the findings one field causes and ends with a count per rule.
func TestScanTableGroupsRootCauses(t *testing.T) {
	_, out, _ := run(t, "", "scan", "testdata/hostpath.yaml")
	for _, want := range []string{
		"spec.volumes[0]",
		"pod/sensitive-host-path (critical):",
		"pod/host-path-volumes (high):",
		"RULE ", "SEVERITY  FINDINGS",
		"root causes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

package pss

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/pod-security-admission/policy"

	"github.com/moat-dev/moat/internal/podspec"
)

func TestEveryLibraryCheckHasOneRule(t *testing.T) {
	rulesOf := map[policy.CheckID][]string{}
	for _, r := range registered {
		rulesOf[checkOf[r.ID].id] = append(rulesOf[checkOf[r.ID].id], r.ID)
	}
	checks := policy.DefaultChecks()
	for _, c := range checks {
		if n := len(rulesOf[c.ID]); n != 1 {
			t.Errorf("library check %s/%s has %d rules (%v), want 1", c.Level, c.ID, n, rulesOf[c.ID])
		}
	}
	if len(registered) != len(checks) {
		t.Errorf("%d rules for %d library checks", len(registered), len(checks))
	}
	t.Logf("%d library checks, %d rules; %d experimental checks left out", len(checks), len(registered), len(policy.ExperimentalChecks()))
}

func TestRuleMetadataNamesItsCheck(t *testing.T) {
	for _, r := range registered {
		t.Run(r.ID, func(t *testing.T) {
			lc := checkOf[r.ID]
			if want := string(lc.level) + "/" + string(lc.id); r.Frameworks.PSS != want {
				t.Errorf("frameworks.pss = %q, want %q", r.Frameworks.PSS, want)
			}
			if !strings.HasPrefix(r.ID, "pod/") {
				t.Errorf("ID %q is not in the pod/ domain", r.ID)
			}
			if !strings.Contains(r.Description, "check "+string(lc.id)+" of k8s.io/pod-security-admission") {
				t.Errorf("description does not name check %s of k8s.io/pod-security-admission", lc.id)
			}
			if !strings.Contains(r.Description, string(lc.level)+" level") {
				t.Errorf("description does not name the %s level", lc.level)
			}
			if r.Title == "" || r.Frameworks.NSA == "" || !strings.HasSuffix(r.Remediation, ".") {
				t.Errorf("incomplete metadata: title %q, nsa %q, remediation %q", r.Title, r.Frameworks.NSA, r.Remediation)
			}
			if !slices.Equal(r.Kinds, podspec.Kinds) {
				t.Errorf("kinds = %v, want the workload kinds %v", r.Kinds, podspec.Kinds)
			}
		})
	}
}

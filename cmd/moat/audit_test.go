package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"

	"github.com/moat-dev/moat/internal/audit"
)

func auditFixtureLog(t *testing.T, slug string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "audit", "detect", "testdata", "events", slug+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Alert, Quiet []json.RawMessage }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range append(f.Alert, f.Quiet...) {
		var v any
		json.Unmarshal(e, &v)
		c, _ := json.Marshal(v)
		lines = append(lines, string(c))
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestAuditScan(t *testing.T) {
	log := auditFixtureLog(t, "binding-cluster-admin")
	code, stdout, stderr := run(t, log, "audit", "scan", "-")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (critical alerts); stderr %s", code, stderr)
	}
	var alerts []audit.Alert
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var a audit.Alert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		alerts = append(alerts, a)
	}
	n := 0
	for _, a := range alerts {
		if a.Rule == "audit/binding-cluster-admin" {
			n++
			if a.User == "" || a.AuditID == "" || a.Object == nil || len(a.MITRE) == 0 || a.Time.IsZero() {
				t.Errorf("alert misses fields: %+v", a)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d binding-cluster-admin alerts, want 2:\n%s", n, stdout)
	}
	// A bad line is reported with its line and the rest is still read: exit 2.
	bad := strings.Replace(log, "\n", "\n{broken\n", 1)
	code, stdout2, stderr := run(t, bad, "audit", "scan", "-", "--fail-on", "critical")
	if code != 2 || !strings.Contains(stderr, "<stdin>:2:") || strings.Count(stdout2, "binding-cluster-admin") != 2 {
		t.Errorf("exit %d, stderr %q, stdout %q", code, stderr, stdout2)
	}
}

func TestAuditScanBenignIsQuiet(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "audit", "detect", "testdata", "routine.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, string(b), "audit", "scan", "--fail-on", "info", "-")
	if code != 0 || stdout != "" {
		t.Errorf("exit %d, alerts on routine traffic:\n%s\n%s", code, stdout, stderr)
	}
}

func TestAuditUserRulesAndBrokenRuleFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "trust.yaml"), []byte("- list: trusted_users\n  append: true\n  items: [alice@example.com]\n"), 0o600)
	code, stdout, _ := run(t, auditFixtureLog(t, "binding-cluster-admin"), "audit", "scan", "--rules", dir, "-")
	if code != 0 || strings.Contains(stdout, "binding-cluster-admin") {
		t.Errorf("trusted user still alerted: exit %d\n%s", code, stdout)
	}
	broken := filepath.Join(dir, "zz-broken.yaml")
	os.WriteFile(broken, []byte("- id: mine/x\n  title: X\n  severity: low\n  output: x\n  condition: verb ==\n"), 0o600)
	code, _, stderr := run(t, "", "audit", "scan", "--rules", dir, "-")
	if code != 2 || !strings.Contains(stderr, broken+":5: rule mine/x: condition does not compile") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "", "serve", "audit", "--rules", dir, "--addr", "127.0.0.1:0")
	if code != 2 || !strings.Contains(stderr, broken+":5:") {
		t.Errorf("serve audit with a broken rule: exit %d, stderr %q", code, stderr)
	}
}

func TestAuditPolicyDecodes(t *testing.T) {
	code, stdout, _ := run(t, "", "audit", "policy")
	if code != 0 || !strings.Contains(stdout, "# ") {
		t.Fatalf("exit %d, or no comments:\n%s", code, stdout)
	}
	var p auditv1.Policy
	if err := yaml.UnmarshalStrict([]byte(stdout), &p); err != nil {
		t.Fatal(err)
	}
	if p.Kind != "Policy" || p.APIVersion != "audit.k8s.io/v1" || len(p.Rules) < 5 || p.Rules[len(p.Rules)-1].Level != auditv1.LevelMetadata {
		t.Errorf("policy %+v", p)
	}
}

func TestAuditRulesList(t *testing.T) {
	code, stdout, _ := run(t, "", "audit", "rules", "-o", "json")
	var doc struct {
		Rules []struct{ ID, Source string } `json:"rules"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &doc) != nil || len(doc.Rules) < 45 {
		t.Fatalf("exit %d, %d rules", code, len(doc.Rules))
	}
	if !strings.Contains(doc.Rules[0].Source, "internal/audit/detect/pack/") {
		t.Errorf("source %q", doc.Rules[0].Source)
	}
}

func TestServeAuditFlags(t *testing.T) {
	code, _, stderr := run(t, "", "serve", "audit", "--tls-cert", "x.pem")
	if code != 2 || !strings.Contains(stderr, "--tls-cert and --tls-key go together") {
		t.Errorf("exit %d, %q", code, stderr)
	}
	code, _, stderr = run(t, "", "serve", "audit", "--addr", "127.0.0.1:0", "--webhook", "http://x", "--webhook-format", "teams")
	if code != 2 || !strings.Contains(stderr, "teams") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}

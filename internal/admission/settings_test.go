package admission

import (
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
)

func parse(t *testing.T, yaml string) (*Settings, error) {
	t.Helper()
	cfg, err := exceptions.Parse([]byte(yaml), ".moat.yaml")
	if err != nil {
		t.Fatalf("exceptions.Parse: %v", err)
	}
	return ParseSettings(cfg)
}

func TestSettingsModes(t *testing.T) {
	s, err := parse(t, `
admission:
  severities: {medium: enforce, low: warn}
  podSecurity: baseline
  rules:
    image/latest-tag: audit
    "pod/run-as-*": enforce
  exempt:
    namespaces: [legacy-*]
    users: [system:serviceaccount:ci:deployer]
    groups: [breakglass]
`)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		f    finding.Finding
		want Mode
	}{
		{"a per-rule mode wins over the severity", finding.Finding{RuleID: "image/latest-tag", Severity: finding.Medium}, Audit},
		{"a per-rule glob", finding.Finding{RuleID: "pod/run-as-non-root", Severity: finding.Low}, Enforce},
		{"a baseline PSS control is enforced", finding.Finding{RuleID: "pod/host-ports", Severity: finding.Low, Frameworks: finding.Frameworks{PSS: "baseline/hostPorts"}}, Enforce},
		{"a restricted PSS control above the level falls back to the severity", finding.Finding{RuleID: "pod/x", Severity: finding.Low, Frameworks: finding.Frameworks{PSS: "restricted/x"}}, Warn},
		{"a configured severity", finding.Finding{RuleID: "svc/load-balancer-open", Severity: finding.Medium}, Enforce},
		{"a default severity", finding.Finding{RuleID: "pod/liveness-probe-missing", Severity: finding.Info}, Audit},
		{"secret data is audited by default", finding.Finding{RuleID: "secret/committed-secret-data", Severity: finding.High}, Audit},
	}
	for _, c := range cases {
		if got := s.ModeOf(&c.f); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		ns, user string
		groups   []string
		exempt   bool
	}{
		{"legacy-billing", "alice", nil, true},
		{"kube-system", "alice", nil, false}, // the list replaces the default
		{"shop", "system:serviceaccount:ci:deployer", nil, true},
		{"shop", "bob", []string{"dev", "breakglass"}, true},
		{"shop", "bob", []string{"dev"}, false},
	} {
		if _, got := s.Exempt(c.ns, c.user, c.groups); got != c.exempt {
			t.Errorf("Exempt(%q, %q, %v) = %v", c.ns, c.user, c.groups, got)
		}
	}
}

func TestSettingsDefaults(t *testing.T) {
	s, err := parse(t, "exceptions: []\n")
	if err != nil {
		t.Fatal(err)
	}
	for sev, want := range map[finding.Severity]Mode{finding.Critical: Enforce, finding.High: Enforce, finding.Medium: Warn, finding.Low: Audit, finding.Info: Audit} {
		if got := s.ModeOf(&finding.Finding{RuleID: "x/y", Severity: sev}); got != want {
			t.Errorf("%s: %s, want %s", sev, got, want)
		}
	}
	for _, ns := range []string{"kube-system", DefaultNamespace} {
		if _, ok := s.Exempt(ns, "u", nil); !ok {
			t.Errorf("%s not exempt by default", ns)
		}
	}
}

func TestSettingsErrors(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown field", "admission:\n  modes: {}\n", `.moat.yaml:2: admission: unknown field "modes"`},
		{"unknown mode", "admission:\n  rules:\n    pod/x: deny\n", `.moat.yaml:3: admission.rules[pod/x]: unknown mode "deny"`},
		{"unknown severity", "admission:\n  severities: {urgent: enforce}\n", `unknown severity "urgent"`},
		{"unknown level", "admission:\n  podSecurity: strict\n", `unknown level "strict"`},
		{"bad exempt field", "admission:\n  exempt: {serviceAccounts: [a]}\n", `unknown field "serviceAccounts"`},
		{"not a mapping", "admission: [a]\n", "want a mapping"},
		{"bad glob", "admission:\n  rules:\n    \"pod/[\": enforce\n", "admission.rules[pod/[]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(t, c.yaml)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// FuzzParseSettings: any admission: section parses or fails with an error naming the
// file; never a panic.
func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{
		"admission:\n  severities: {high: warn}\n  podSecurity: restricted\n  rules: {pod/*: enforce}\n  exempt: {namespaces: [a, b*], users: [u], groups: [g]}\n",
		"admission: {}\n", "admission: null\n", "admission:\n  rules: [a]\n", "admission:\n  exempt: {namespaces: ~}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, yaml string) {
		cfg, err := exceptions.Parse([]byte(yaml), "f.yaml")
		if err != nil {
			return
		}
		if _, err := ParseSettings(cfg); err != nil && !strings.Contains(err.Error(), "f.yaml") {
			t.Fatalf("error without the file: %v", err)
		}
	})
}

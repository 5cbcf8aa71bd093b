package exceptions

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/rule"
)

// Every bad config under testdata/config/invalid gives exactly these errors, each
// naming the file, the line and the field.
func TestLoadInvalid(t *testing.T) {
	dir := filepath.Join("testdata", "config", "invalid")
	tests := []struct {
		file string
		want []string // without the "testdata/config/invalid/FILE" prefix
	}{
		{"missing-reason.yaml", []string{":4: exceptions[1]: reason is required"}},
		{"unknown-field.yaml", []string{`:3: exceptions[0]: unknown field "namespace" (want one of rules, namespaces, kinds, names, reason, expires)`}},
		{"unknown-top-field.yaml", []string{`:1: unknown field "version" (want one of exceptions, admission, images, podTemplatePaths, node)`}},
		{"bad-glob.yaml", []string{
			`:4: exceptions[0].rules[1]: bad pattern "pod/[privileged": unclosed [`,
			`:5: exceptions[0].kinds[0]: bad pattern "Deploy\\": trailing \`,
		}},
		{"bad-expiry.yaml", []string{`:4: exceptions[0].expires: "31/12/2026" is not a date (want YYYY-MM-DD or an RFC 3339 time such as 2026-12-31T18:00:00Z)`}},
		{"not-a-list.yaml", []string{":2: exceptions: want a list of exceptions, not a mapping"}},
		{"not-a-mapping.yaml", []string{":1: want a mapping with the field exceptions, not a list"}},
		{"empty-lists.yaml", []string{
			":2: exceptions[0].rules: empty list (leave the field out to match any)",
			":3: exceptions[0].namespaces: empty value (leave the field out to match any)",
			":4: exceptions[0].reason: empty reason: say why the findings are accepted",
		}},
		// The YAML parser names the line where the unclosed list's context starts.
		{"syntax.yaml", []string{":1: invalid YAML: did not find expected ',' or ']'"}},
		{"alias.yaml", []string{
			":2: exceptions[0].rules: YAML anchors (&cfg) are not supported in the config file",
			":4: exceptions[1].rules: YAML aliases (*cfg) are not supported in the config file: write the value out",
		}},
		{"two-documents.yaml", []string{":2: a second YAML document: the config is one document"}},
		{"repeated-field.yaml", []string{`:4: exceptions[0]: field "reason" is repeated`}},
		{"pod-template-paths.yaml", []string{
			`:4: podTemplatePaths[0].path: "spec.runner[0].template" is not a field path (want field names joined by dots, such as spec.template)`,
			`:5: podTemplatePaths[1]: give apiVersion or group, not both`,
			`:12: podTemplatePaths[2]: give path (a PodTemplateSpec) or podSpecPath (a PodSpec), not both`,
			`:14: podTemplatePaths[3].kind: "" is not a kind (want a name such as MyWorkload)`,
			`:16: podTemplatePaths[4]: kind is required`,
			`:18: podTemplatePaths[4]: unknown field "template" (want one of apiVersion, group, kind, path, podSpecPath)`,
			`:19: podTemplatePaths[5].apiVersion: "v1" is not the apiVersion of a custom resource (want GROUP/VERSION, such as example.com/v1)`,
			`:22: podTemplatePaths[6]: give path (a PodTemplateSpec, such as spec.template) or podSpecPath (a bare PodSpec)`,
			`:24: podTemplatePaths[7].group: "Example.COM" is not an API group (want a DNS name such as example.com)`,
			`:30: podTemplatePaths[9]: kind Twice of group example.com is named twice (first on line 27)`,
		}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.ToSlash(filepath.Join(dir, tt.file))
			cfg, err := Load(path, true)
			if err == nil {
				t.Fatalf("no error; config %+v", cfg)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, path+w)
			}
			if got := err.Error(); got != strings.Join(want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.File != path || ce.Line == 0 {
				t.Errorf("want an *Error naming %s and a line, got %#v", path, ce)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("%s has no case in this table", f)
		}
	}
}

func TestLoadValid(t *testing.T) {
	path := "testdata/config/valid/full.yaml"
	cfg, err := Load(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Exceptions) != 3 {
		t.Fatalf("got %d exceptions, want 3", len(cfg.Exceptions))
	}
	e := cfg.Exceptions[0]
	if got := texts(e.Rules); got != "rbac/cluster-admin-binding config/*" {
		t.Errorf("rules %q", got)
	}
	if got := texts(e.Namespaces) + "|" + texts(e.Kinds) + "|" + texts(e.Names); got != "monitoring kube-*|ClusterRoleBinding daemonset|node-exporter*" {
		t.Errorf("namespaces|kinds|names %q", got)
	}
	if e.Reason != "node-exporter needs host PID (TICKET-123)" || e.Line != 3 || e.ExpiresLine != 8 || e.ExpiresText != "2026-12-31" {
		t.Errorf("exception 0: %+v", e)
	}
	if want := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); !e.Expires.Equal(want) {
		t.Errorf("expires %v, want %v (the day after the date)", e.Expires, want)
	}
	if e1 := cfg.Exceptions[1]; !e1.Expires.Equal(time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)) || e1.Namespaces == nil || e1.Kinds != nil {
		t.Errorf("exception 1: %+v", e1)
	}
	if e2 := cfg.Exceptions[2]; e2.Reason != "legacy manifests keep their old annotations until the Q3 cleanup" || !e2.Expires.IsZero() {
		t.Errorf("exception 2: %+v", e2)
	}
	// e2e_test.go links the rbac and netpol rules into this test binary: every pattern
	// matches a rule, so there is nothing to warn of.
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
}

// A rule pattern that matches no registered rule is a warning naming file and line.
func TestUnknownRuleWarnings(t *testing.T) {
	cfg := parseTestConfig(t, `exceptions:
- rules: ["demo/host-pid", "demo/host-pdi"]
  reason: one typo
- rules: ["demo/*", "other/*"]
  reason: one domain that does not exist
`)
	rules := []*rule.Rule{{Meta: rule.Meta{ID: "demo/host-pid"}}, {Meta: rule.Meta{ID: "demo/host-network"}}}
	want := []string{
		`.moat.yaml:2: exceptions[0].rules[1]: "demo/host-pdi" matches no rule (see moat rules)`,
		`.moat.yaml:4: exceptions[1].rules[1]: "other/*" matches no rule (see moat rules)`,
	}
	if got := unknownRules(cfg, rules); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func parseTestConfig(t *testing.T, body string) *Config {
	t.Helper()
	cfg, err := Parse([]byte(body), ".moat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestLoadValidSmall(t *testing.T) {
	tests := []struct {
		file       string
		exceptions int
	}{
		{"testdata/config/valid/empty.yaml", 0},
		{"testdata/config/valid/scalar-rule.yaml", 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cfg, err := Load(tt.file, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Exceptions) != tt.exceptions || len(cfg.Warnings) != 0 {
				t.Errorf("got %d exceptions and warnings %v", len(cfg.Exceptions), cfg.Warnings)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), ".moat.yaml")
	cfg, err := Load(missing, false)
	if err != nil || cfg == nil || len(cfg.Exceptions) != 0 {
		t.Errorf("missing default file: got %+v, %v; want an empty config", cfg, err)
	}
	_, err = Load(missing, true)
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing explicit file: got %v, want a not-exist error naming the file", err)
	}
}

func TestLoadEmptyFile(t *testing.T) {
	for _, body := range []string{"", "# nothing yet\n", "exceptions:\n", "~\n"} {
		cfg, err := Parse([]byte(body), ".moat.yaml")
		if err != nil || len(cfg.Exceptions) != 0 {
			t.Errorf("%q: got %+v, %v; want an empty config", body, cfg, err)
		}
	}
}

func TestLoadTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	body := "# " + strings.Repeat("x", MaxConfigBytes) + "\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, true); err == nil || !strings.HasPrefix(err.Error(), path+": larger than") {
		t.Errorf("got %v, want a size error naming the file", err)
	}
}

func TestParseExpiry(t *testing.T) {
	tests := []struct {
		name, in string
		want     time.Time
		bad      bool
	}{
		{"a date lasts through its day in UTC", "2026-12-31", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"leap day", "2028-02-29", time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC), false},
		{"RFC 3339 is an instant", "2026-06-01T12:00:00Z", time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), false},
		{"RFC 3339 with an offset", "2026-06-01T14:00:00+02:00", time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), false},
		{"day first", "31/12/2026", time.Time{}, true},
		{"no such day", "2026-02-30", time.Time{}, true},
		{"words", "next year", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseExpiry(tt.in)
			if (err != nil) != tt.bad {
				t.Fatalf("error %v, want error %v", err, tt.bad)
			}
			if !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExceptionActive(t *testing.T) {
	day, _ := ParseExpiry("2026-12-31")
	instant, _ := ParseExpiry("2026-06-01T12:00:00Z")
	tests := []struct {
		name    string
		expires time.Time
		now     time.Time
		want    bool
	}{
		{"no expiry is always active", time.Time{}, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"the last second of the day", day, time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), true},
		{"the first instant of the next day", day, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"one nanosecond before the instant", instant, time.Date(2026, 6, 1, 11, 59, 59, 999999999, time.UTC), true},
		{"at the instant", instant, time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), false},
		{"the same instant in another zone", instant, time.Date(2026, 6, 1, 14, 0, 0, 0, time.FixedZone("CEST", 2*3600)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Exception{Expires: tt.expires}
			if got := e.Active(tt.now); got != tt.want {
				t.Errorf("Active(%v) = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
}

func TestParseIgnore(t *testing.T) {
	tests := []struct {
		name, value string
		pats        string
		bad         int
	}{
		{"one rule", "pod/privileged-container", "pod/privileged-container", 0},
		{"commas", "pod/a,pod/b", "pod/a pod/b", 0},
		{"commas and spaces", " pod/a, pod/b ,pod/c ", "pod/a pod/b pod/c", 0},
		{"spaces and newlines", "pod/a pod/b\n\tsecret/*", "pod/a pod/b secret/*", 0},
		{"empty entries are skipped", ",,pod/a,,", "pod/a", 0},
		{"empty value", "", "", 0},
		{"a bad glob is set apart", "pod/a,pod/[b", "pod/a", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pats, bad := ParseIgnore(tt.value)
			if got := texts(pats); got != tt.pats || len(bad) != tt.bad {
				t.Errorf("got %q and %d bad (%v), want %q and %d", got, len(bad), bad, tt.pats, tt.bad)
			}
		})
	}
}

func texts(ps []Pattern) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Text)
	}
	return strings.Join(out, " ")
}

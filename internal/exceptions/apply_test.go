package exceptions

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// The rules the Apply tests make findings of. Only this test binary registers them.
func init() {
	for _, id := range []string{"demo/host-pid", "demo/host-network", "demo/run-as-root", "demo/cluster-admin"} {
		rule.RegisterMeta(rule.Meta{ID: id, Title: id, Severity: finding.High})
	}
}

var applyNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const objectsFile = "testdata/apply/objects.yaml"

func loadObjects(t *testing.T) *inventory.Inventory {
	t.Helper()
	inv := inventory.Load([]string{objectsFile}, inventory.Options{})
	if len(inv.Errors) > 0 {
		t.Fatal(inv.Errors)
	}
	return inv
}

// findingOn makes the finding a rule would make on an object: "Kind/ns/name" names it.
func findingOn(t *testing.T, inv *inventory.Inventory, ref, ruleID string) finding.Finding {
	t.Helper()
	parts := strings.Split(ref, "/")
	kind, name, ns := parts[0], parts[len(parts)-1], ""
	if len(parts) == 3 {
		ns = parts[1]
	}
	o := inv.Find(kind, ns, name)
	if o == nil && ns == "" {
		o = inv.Find(kind, "default", name) // a namespaced object written without one
	}
	if o == nil {
		t.Fatalf("no object %s in %s", ref, objectsFile)
	}
	return finding.Finding{RuleID: ruleID, Severity: finding.High, Message: "demo", Resource: o.Ref(), Path: "spec", Source: o.SourceAt("spec")}
}

// suppression renders how a finding came out of Apply.
func suppression(f finding.Finding) string {
	if f.Suppressed == nil {
		return "reported"
	}
	return f.Suppressed.Kind + ": " + f.Suppressed.Reason
}

func TestApplySuppression(t *testing.T) {
	inv := loadObjects(t)
	cfg := parseTestConfig(t, `exceptions:
- rules: ["demo/run-as-*"]
  namespaces: ["shop"]
  kinds: ["pod"]
  names: ["de*", "typo"]
  reason: debug pods are short-lived
- rules: ["demo/run-as-root"]
  namespaces: ["default"]
  reason: objects written without a namespace land in default
- rules: ["demo/*"]
  namespaces: ["kube-*"]
  reason: kube-system belongs to the managed control plane
- rules: ["demo/cluster-admin"]
  kinds: [ClusterRoleBinding]
  names: [ci-admin]
  reason: CI needs it until TICKET-9 lands
  expires: 2026-05-31
- rules: ["demo/host-pid"]
  namespaces: ["monitoring"]
  reason: the config would suppress it too, but the annotation comes first
`)
	tests := []struct {
		name, ref, rule, want string
	}{
		{"annotation on the controller", "DaemonSet/monitoring/node-exporter", "demo/host-network",
			"annotation: node-exporter reads host metrics (TICKET-123)"},
		{"annotation before config", "DaemonSet/monitoring/node-exporter", "demo/host-pid",
			"annotation: node-exporter reads host metrics (TICKET-123)"},
		{"pod template annotations do not count", "DaemonSet/monitoring/node-exporter", "demo/run-as-root", "reported"},
		{"annotation without reason suppresses nothing", "Deployment/shop/legacy", "demo/run-as-root", "reported"},
		{"the valid entries of an annotation with bad ones still apply", "Pod/shop/typo", "demo/run-as-root",
			"annotation: debug pod, removed after the incident"},
		{"namespace written nowhere is default", "Pod/debug", "demo/run-as-root",
			"config: objects written without a namespace land in default"},
		{"a rule outside the exception", "Pod/debug", "demo/host-pid", "reported"},
		{"a Namespace is in itself", "Namespace/kube-system", "demo/host-pid",
			"config: kube-system belongs to the managed control plane"},
		{"a cluster-scoped object is in no namespace", "ClusterRoleBinding/ci-admin", "demo/host-pid", "reported"},
		{"an expired exception suppresses nothing", "ClusterRoleBinding/ci-admin", "demo/cluster-admin", "reported"},
	}
	var fs []finding.Finding
	for _, tt := range tests {
		fs = append(fs, findingOn(t, inv, tt.ref, tt.rule))
	}
	got := cfg.Apply(fs, inv, applyNow)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s := suppression(got[i]); s != tt.want {
				t.Errorf("%s %s: %s, want %s", tt.ref, tt.rule, s, tt.want)
			}
		})
	}
	for _, f := range fs {
		if f.Suppressed != nil {
			t.Fatal("Apply modified its input")
		}
	}

	// After the input: the findings about annotations and the expired exception.
	var extra []string
	for _, f := range got[len(fs):] {
		extra = append(extra, fmt.Sprintf("%s %s %s %s %s: %s [%s]", f.RuleID, f.Severity, f.Resource, f.Source, f.Path, f.Message, suppression(f)))
	}
	want := []string{
		`config/ignore-without-reason low Deployment/shop/legacy testdata/apply/objects.yaml:32 metadata.annotations: annotation moat.dev/ignore="demo/run-as-root" has no moat.dev/ignore-reason: it suppresses nothing until a reason says why the findings are accepted [reported]`,
		`config/invalid-ignore low Pod/shop/typo testdata/apply/objects.yaml:50 metadata.annotations: annotation moat.dev/ignore="demo/run-as-rot demo/[x demo/run-as-*": bad pattern "demo/[x": unclosed [; "demo/run-as-rot" matches no rule; those entries suppress nothing [reported]`,
		`config/expired-exception medium MoatConfig/.moat.yaml .moat.yaml:17 exceptions[3].expires: exception for "demo/cluster-admin" ("CI needs it until TICKET-9 lands") expired on 2026-05-31 and no longer suppresses anything: renew the date if the reason still holds, or remove the exception [reported]`,
	}
	if strings.Join(extra, "\n") != strings.Join(want, "\n") {
		t.Errorf("extra findings:\n%s\nwant:\n%s", strings.Join(extra, "\n"), strings.Join(want, "\n"))
	}
}

// The findings about annotations may be excepted in the config, but the annotation on
// the object cannot silence the finding about itself.
func TestApplyConfigFindings(t *testing.T) {
	inv := loadObjects(t)
	cfg := parseTestConfig(t, `exceptions:
- rules: [config/ignore-without-reason]
  reason: legacy manifests keep their annotations until the cleanup
`)
	got := cfg.Apply(nil, inv, applyNow)
	var rules []string
	for _, f := range got {
		rules = append(rules, f.RuleID+" "+suppression(f))
	}
	want := "config/ignore-without-reason config: legacy manifests keep their annotations until the cleanup\nconfig/invalid-ignore reported"
	if strings.Join(rules, "\n") != want {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(rules, "\n"), want)
	}
}

// A nil config (no file) still applies the inline annotations.
func TestApplyWithoutConfig(t *testing.T) {
	inv := loadObjects(t)
	var cfg *Config
	fs := []finding.Finding{findingOn(t, inv, "DaemonSet/monitoring/node-exporter", "demo/host-pid")}
	got := cfg.Apply(fs, inv, applyNow)
	if s := suppression(got[0]); s != "annotation: node-exporter reads host metrics (TICKET-123)" {
		t.Errorf("got %s", s)
	}
	if len(got) != 3 {
		t.Errorf("got %d findings, want the input and the two about annotations", len(got))
	}
}

// The expiry boundary: an exception is active up to the last instant of its day.
func TestApplyExpiryBoundary(t *testing.T) {
	inv := loadObjects(t)
	cfg := parseTestConfig(t, `exceptions:
- rules: ["demo/cluster-admin"]
  reason: until the end of May
  expires: 2026-05-31
`)
	fs := []finding.Finding{findingOn(t, inv, "ClusterRoleBinding/ci-admin", "demo/cluster-admin")}
	tests := []struct {
		name    string
		now     time.Time
		want    string
		expired bool
	}{
		{"on the day", time.Date(2026, 5, 31, 0, 0, 0, 0, time.UTC), "config: until the end of May", false},
		{"the last second of the day", time.Date(2026, 5, 31, 23, 59, 59, 0, time.UTC), "config: until the end of May", false},
		{"the next day", time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), "reported", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cfg.Apply(fs, inv, tt.now)
			if s := suppression(got[0]); s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
			expired := false
			for _, f := range got {
				if f.RuleID == "config/expired-exception" {
					expired = true
					if f.Source == nil || f.Source.File != ".moat.yaml" || f.Source.Line != 4 || f.Resource.Kind != ConfigKind {
						t.Errorf("expired finding at %v on %v", f.Source, f.Resource)
					}
				}
			}
			if expired != tt.expired {
				t.Errorf("expired-exception finding: %v, want %v", expired, tt.expired)
			}
		})
	}
}

func TestNamespaceOf(t *testing.T) {
	tests := []struct {
		name string
		res  finding.Resource
		want string
	}{
		{"namespaced object", finding.Resource{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "cart"}, "shop"},
		{"namespaced object written without one", finding.Resource{APIVersion: "v1", Kind: "Pod", Name: "debug"}, "default"},
		{"a Namespace is in itself", finding.Resource{APIVersion: "v1", Kind: "Namespace", Name: "shop"}, "shop"},
		{"cluster-scoped object", finding.Resource{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "view"}, ""},
		{"the config file", finding.Resource{Kind: ConfigKind, Name: ".moat.yaml"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := namespaceOf(tt.res); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

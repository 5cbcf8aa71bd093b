package scan_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/moat-dev/moat/internal/catalog"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/scan"
)

var fixedNow = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }

// panicking is a rule with a bug: it panics on the pod named trips-the-bug, and on the
// inventory as a whole.
var panicking = &rule.Rule{
	Meta: rule.Meta{ID: "test/panics", Title: "Panics", Severity: finding.High},
	Object: func(_ *rule.Context, o *inventory.Object) []rule.Result {
		if o.Name() == "trips-the-bug" {
			var m map[string]int
			m["boom"]++ // a nil map write: the kind of bug a rule can have
		}
		return nil
	},
	Inventory: func(*rule.Context) []rule.Result { panic("inventory bug") },
}

func TestPanickingRuleIsAnErrorAndTheOthersStillReport(t *testing.T) {
	loaded, err := scan.Load(context.Background(), scan.Input{Paths: []string{"testdata/two-pods.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	rules := []*rule.Rule{panicking, rule.Get("pod/privileged-container")}
	res := scan.NewEvaluator(scan.Options{Rules: rules, Now: fixedNow}).Evaluate(context.Background(), loaded.Inventory)

	var privileged int
	for _, f := range res.Findings {
		if f.RuleID == "pod/privileged-container" && f.Resource.Name == "privileged" {
			privileged++
		}
	}
	if privileged != 1 {
		t.Errorf("pod/privileged-container findings on the privileged pod = %d, want 1 (the other rule's findings must survive a panic)", privileged)
	}
	want := []string{
		"rule test/panics failed on Pod/shop/trips-the-bug: assignment to entry in nil map",
		"rule test/panics failed: inventory bug",
	}
	for _, w := range want {
		found := false
		for _, e := range res.Errors {
			found = found || strings.Contains(e, w)
		}
		if !found {
			t.Errorf("errors %q: none contains %q", res.Errors, w)
		}
	}
	if got := res.ExitCode(finding.Critical); got != scan.ExitError {
		t.Errorf("exit code = %d, want %d: a failed rule makes the scan incomplete", got, scan.ExitError)
	}
}

func TestEvaluationStopsAtTheDeadline(t *testing.T) {
	loaded, err := scan.Load(context.Background(), scan.Input{Paths: []string{"testdata/two-pods.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := scan.NewEvaluator(scan.Options{Now: fixedNow}).Evaluate(ctx, loaded.Inventory)
	if len(res.Errors) == 0 || !strings.Contains(res.Errors[len(res.Errors)-1], "evaluation stopped") {
		t.Errorf("errors = %q, want the evaluation reported as stopped", res.Errors)
	}
	if got := res.ExitCode(finding.Critical); got != scan.ExitError {
		t.Errorf("exit code = %d, want %d", got, scan.ExitError)
	}
}

func TestCode(t *testing.T) {
	for _, c := range []struct {
		incomplete, gate bool
		want             int
	}{
		{false, false, scan.ExitOK},
		{false, true, scan.ExitFindings},
		{true, false, scan.ExitError},
		{true, true, scan.ExitError},
	} {
		if got := scan.Code(c.incomplete, c.gate); got != c.want {
			t.Errorf("Code(%v, %v) = %d, want %d", c.incomplete, c.gate, got, c.want)
		}
	}
}

// podFinding is one finding expected of a pod template: rule, resource, field path and line.
type podFinding struct {
	rule, resource, path string
	line                 int
}

// The pod templates of a Rollout, a DeploymentConfig and a custom resource the config
// file names are checked like a Deployment's, with their own field paths and lines.
func TestPodTemplatesOfOtherKinds(t *testing.T) {
	const file = "testdata/pod-templates/workloads.yaml"
	cfg, err := exceptions.Load("testdata/pod-templates/moat.yaml", true)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		config *exceptions.Config
		want   []podFinding
	}{
		{"with the config file", cfg, []podFinding{
			{"pod/privileged-container", "Rollout/shop/checkout", "spec.template.spec.containers[0].securityContext.privileged", 24},
			{"pod/host-path-volumes", "Rollout/shop/checkout", "spec.template.spec.volumes[0].hostPath", 27},
			{"pod/privileged-container", "DeploymentConfig/finance/ledger", "spec.template.spec.containers[0].securityContext.privileged", 47},
			{"pod/host-path-volumes", "DeploymentConfig/finance/ledger", "spec.template.spec.volumes[0].hostPath", 50},
			{"pod/privileged-container", "Runner/ci/builder", "spec.runner.template.spec.containers[0].securityContext.privileged", 66},
			{"pod/host-path-volumes", "Runner/ci/builder", "spec.runner.template.spec.volumes[0].hostPath", 69},
		}},
		// Without it the Runner is an object Moat knows nothing of.
		{"without a config file", nil, []podFinding{
			{"pod/privileged-container", "Rollout/shop/checkout", "spec.template.spec.containers[0].securityContext.privileged", 24},
			{"pod/host-path-volumes", "Rollout/shop/checkout", "spec.template.spec.volumes[0].hostPath", 27},
			{"pod/privileged-container", "DeploymentConfig/finance/ledger", "spec.template.spec.containers[0].securityContext.privileged", 47},
			{"pod/host-path-volumes", "DeploymentConfig/finance/ledger", "spec.template.spec.volumes[0].hostPath", 50},
		}},
	}
	rules := []*rule.Rule{rule.Get("pod/privileged-container"), rule.Get("pod/host-path-volumes")}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loaded, err := scan.Load(context.Background(), scan.Input{Paths: []string{file}})
			if err != nil {
				t.Fatal(err)
			}
			ev := scan.NewEvaluator(scan.Options{Rules: rules, Config: tt.config, Now: fixedNow})
			res := ev.Evaluate(context.Background(), loaded.Inventory)
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %q", res.Errors)
			}
			checkFindings(t, res.Findings, file, tt.want)

			// Admission judges each object alone, through the same preparation.
			var one []finding.Finding
			for _, o := range loaded.Inventory.Objects {
				fs, errs := ev.EvaluateObject(context.Background(), o, false)
				if len(errs) > 0 {
					t.Fatalf("%s: errors %v", o.Name(), errs)
				}
				one = append(one, fs...)
			}
			finding.Sort(one)
			checkFindings(t, one, file, tt.want)
		})
	}
}

func checkFindings(t *testing.T, fs []finding.Finding, file string, want []podFinding) {
	t.Helper()
	var got []podFinding
	for _, f := range fs {
		if f.Source == nil || f.Source.File != file {
			t.Errorf("%s %s: source %v, want %s", f.RuleID, f.Resource, f.Source, file)
			continue
		}
		got = append(got, podFinding{f.RuleID, f.Resource.String(), f.Path, f.Source.Line})
	}
	key := func(w podFinding) string { return fmt.Sprintf("%s %s %d", w.resource, w.rule, w.line) }
	slices.SortFunc(got, func(a, b podFinding) int { return strings.Compare(key(a), key(b)) })
	sorted := slices.Clone(want)
	slices.SortFunc(sorted, func(a, b podFinding) int { return strings.Compare(key(a), key(b)) })
	if !slices.Equal(got, sorted) {
		t.Errorf("findings\n%v\nwant\n%v", got, sorted)
	}
}

// A template that cannot be decoded is an error of the scan (exit 2) naming the object,
// file, line and path; the rules that do not read it still report on the object. At
// admission the object is not judged. A Rollout that takes its pods from a Deployment
// has no template and is no error.
func TestPodTemplateErrors(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		wantError string // "" for none
		wantRules []string
	}{
		{
			name:      "malformed template",
			file:      "testdata/pod-templates/malformed.yaml",
			wantError: "testdata/pod-templates/malformed.yaml:11: argoproj.io/v1alpha1 Rollout/default/broken: spec.template.spec.containers: cannot read the pod template, so no pod rule checked it: want []v1.Container, not a string",
			wantRules: []string{"namespace/default-namespace-used"},
		},
		{
			name: "Rollout with a workloadRef",
			file: "testdata/pod-templates/workloadref.yaml",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loaded, err := scan.Load(context.Background(), scan.Input{Paths: []string{tt.file}})
			if err != nil {
				t.Fatal(err)
			}
			ev := scan.NewEvaluator(scan.Options{Now: fixedNow})
			res := ev.Evaluate(context.Background(), loaded.Inventory)
			var rules []string
			for _, f := range res.Findings {
				rules = append(rules, f.RuleID)
			}
			if !slices.Equal(rules, tt.wantRules) {
				t.Errorf("findings of rules %q, want %q", rules, tt.wantRules)
			}
			_, errs := ev.EvaluateObject(context.Background(), loaded.Inventory.Objects[0], false)
			if tt.wantError == "" {
				if len(res.Errors) > 0 || len(errs) > 0 {
					t.Errorf("errors %q and at admission %v, want none", res.Errors, errs)
				}
				return
			}
			if len(res.Errors) != 1 || !strings.HasPrefix(res.Errors[0], tt.wantError) {
				t.Errorf("errors %q, want one starting %q", res.Errors, tt.wantError)
			}
			if got := res.ExitCode(finding.Critical); got != scan.ExitError {
				t.Errorf("exit code = %d, want %d", got, scan.ExitError)
			}
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tt.wantError) {
				t.Errorf("at admission: errors %v, want one starting %q", errs, tt.wantError)
			}
		})
	}
}

// A Rollout's pods are a workload of the NetworkPolicy analysis.
func TestRolloutIsANetworkedWorkload(t *testing.T) {
	loaded, err := scan.Load(context.Background(), scan.Input{Paths: []string{"testdata/pod-templates/workloads.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	rules := []*rule.Rule{rule.Get("netpol/namespace-without-policy")}
	res := scan.NewEvaluator(scan.Options{Rules: rules, Now: fixedNow}).Evaluate(context.Background(), loaded.Inventory)
	var shop string
	for _, f := range res.Findings {
		if f.Resource.Name == "shop" {
			shop = f.Message
		}
	}
	if !strings.Contains(shop, `Rollout "checkout"`) {
		t.Errorf("finding on namespace shop: %q, want it to name the Rollout; all findings: %v", shop, res.Findings)
	}
}

package scan_test

import (
	"context"
	"strings"
	"testing"
	"time"

	_ "github.com/moat-dev/moat/internal/catalog"
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

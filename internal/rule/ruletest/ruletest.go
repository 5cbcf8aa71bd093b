// Package ruletest runs one rule over its fixtures. Every rule keeps fixtures under
// its package's testdata/ID/ (the rule ID with "/" replaced by "_"):
//
//	testdata/pod_privileged-container/fail/*.yaml   each gives at least one finding
//	testdata/pod_privileged-container/pass/*.yaml   none gives a finding of the rule
//
// The findings of each fail fixture are compared with FIXTURE.golden beside it (see
// package golden: MOAT_UPDATE_GOLDEN=1 rewrites them for review in the diff).
package ruletest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/engine"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/golden"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// Now is the fixed clock of rule tests.
var Now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// Dir is the fixture directory name of a rule ID.
func Dir(id string) string { return strings.ReplaceAll(id, "/", "_") }

// Options are the rule options fixtures are evaluated with.
var Options = rule.Options{PSSVersion: "latest", Now: Now}

// Fixtures checks a registered rule against testdata/<Dir(id)>/{pass,fail}.
func Fixtures(t *testing.T, id string) {
	t.Helper()
	FixturesWith(t, id, Options)
}

// FixturesWith checks a rule against its fixtures with options of its own: a rule that
// reads the config file's settings (rule.Options.Registries) is tested with them.
func FixturesWith(t *testing.T, id string, opt rule.Options) {
	t.Helper()
	r := rule.Get(id)
	if r == nil {
		t.Fatalf("rule %s is not registered", id)
	}
	dir := filepath.Join("testdata", Dir(id))
	fails, _ := filepath.Glob(filepath.Join(dir, "fail", "*.yaml"))
	passes, _ := filepath.Glob(filepath.Join(dir, "pass", "*.yaml"))
	if len(fails) == 0 || len(passes) == 0 {
		t.Fatalf("%s: want fixtures in both %s/fail and %s/pass", id, dir, dir)
	}
	for _, f := range fails {
		t.Run("fail/"+filepath.Base(f), func(t *testing.T) {
			got := run(t, r, f, opt)
			if len(got) == 0 {
				t.Fatalf("%s: no finding of %s", f, id)
			}
			golden.Check(t, strings.TrimSuffix(f, ".yaml")+".golden", []byte(Format(got)))
		})
	}
	for _, f := range passes {
		t.Run("pass/"+filepath.Base(f), func(t *testing.T) {
			if got := run(t, r, f, opt); len(got) > 0 {
				t.Fatalf("%s: unexpected findings of %s:\n%s", f, id, Format(got))
			}
		})
	}
}

// Run loads a manifest file and returns the findings of one rule on it.
func Run(t *testing.T, r *rule.Rule, file string) []finding.Finding {
	t.Helper()
	return run(t, r, file, Options)
}

func run(t *testing.T, r *rule.Rule, file string, opt rule.Options) []finding.Finding {
	t.Helper()
	inv := inventory.Load([]string{file}, inventory.Options{})
	for _, e := range inv.Errors {
		t.Fatalf("fixture does not load: %v", e)
	}
	fs, errs := engine.Run(context.Background(), inv, []*rule.Rule{r}, opt)
	for _, e := range errs {
		t.Errorf("%s: %v", file, e)
	}
	return fs
}

// Format writes findings one per line: "LINE SEVERITY KIND/NS/NAME PATH: MESSAGE".
func Format(fs []finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		line := 0
		if f.Source != nil {
			line = f.Source.Line
		}
		fmt.Fprintf(&b, "%d %s %s %s: %s", line, f.Severity, f.Resource, f.Path, f.Message)
		if f.Frameworks.PSS != "" {
			fmt.Fprintf(&b, " [pss %s]", f.Frameworks.PSS)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Evaluate runs rules over an inventory, as a scan does before exceptions, and fails
// the test when a rule fails.
func Evaluate(t testing.TB, inv *inventory.Inventory, opt rule.Options, rules ...*rule.Rule) []finding.Finding {
	t.Helper()
	fs, errs := engine.Run(context.Background(), inv, rules, opt)
	for _, e := range errs {
		t.Errorf("%v", e)
	}
	return fs
}

// Check runs the object checks of rules on one object alone, as admission does, and
// fails the test when a rule fails.
func Check(t testing.TB, o *inventory.Object, rules ...*rule.Rule) []finding.Finding {
	t.Helper()
	fs, errs := engine.Check(context.Background(), o, rules, Options, 0)
	for _, e := range errs {
		t.Errorf("%v", e)
	}
	return fs
}

package scan

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

func decodeFixture(t *testing.T, path string) []*inventory.Object {
	t.Helper()
	objs, errs := inventory.DecodeFile(path)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", path, errs)
	}
	return objs
}

func objectKey(o *inventory.Object) string {
	return o.GVK.Kind + "/" + o.Meta.GetNamespace() + "/" + o.Meta.GetName()
}

// resultText is a Result as text, errors sorted: Evaluate gives them in the order the
// workers met them.
func resultText(t *testing.T, r *Result) string {
	t.Helper()
	js, err := json.MarshalIndent(r.Findings, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	errs := slices.Clone(r.Errors)
	sort.Strings(errs)
	return string(js) + "\nerrors: " + strings.Join(errs, "\n") + "\nwarnings: " + strings.Join(r.Warnings, "\n")
}

// TestIncrementalMatchesEvaluate changes an inventory at random, one object at a
// time — another version of it, its removal, its return — and checks after each
// change that the incremental evaluation, told only what changed, gives what a full
// evaluation of the same inventory gives.
func TestIncrementalMatchesEvaluate(t *testing.T) {
	base := decodeFixture(t, "testdata/incremental/base.yaml")
	variants := decodeFixture(t, "testdata/incremental/variants.yaml")
	versions := map[string][]*inventory.Object{}
	for _, o := range append(slices.Clone(base), variants...) {
		versions[objectKey(o)] = append(versions[objectKey(o)], o)
	}
	keys := make([]string, 0, len(versions))
	for k := range versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	opt := Options{Now: func() time.Time { return now }, ShowSuppressed: true}
	ctx := context.Background()
	inc := NewEvaluator(opt).Incremental()
	current := map[string]*inventory.Object{}
	for _, o := range base {
		current[objectKey(o)] = o
	}
	inventoryOf := func() *inventory.Inventory {
		var objs []*inventory.Object
		for _, k := range keys {
			if o := current[k]; o != nil {
				objs = append(objs, o)
			}
		}
		return inventory.NewInventory(objs)
	}
	first := inc.Evaluate(ctx, inventoryOf(), Change{})
	if len(first.Findings) == 0 {
		t.Fatal("the fixture has no findings")
	}

	rng := rand.New(rand.NewPCG(17, 2026))
	const steps = 300
	changedFindings := 0
	before := resultText(t, first)
	for step := range steps {
		k := keys[rng.IntN(len(keys))]
		var ch Change
		var what string
		if current[k] != nil && rng.IntN(3) == 0 {
			delete(current, k)
			what = "removed " + k
		} else {
			vs := versions[k]
			current[k] = vs[rng.IntN(len(vs))]
			what = "set " + k
		}
		o := versions[k][0]
		ch.Add(o.GVK.Kind, o.Meta.GetNamespace(), o.Meta.GetName())

		inv := inventoryOf()
		got := resultText(t, inc.Evaluate(ctx, inv, ch))
		want := resultText(t, NewEvaluator(opt).Evaluate(ctx, inventoryOf()))
		if got != want {
			t.Fatalf("step %d (%s): the incremental evaluation differs from a full one\nincremental:\n%s\nfull:\n%s", step, what, got, want)
		}
		if got != before {
			changedFindings++
		}
		before = got
	}
	// The test means something only if the changes change the findings.
	if changedFindings < steps/4 {
		t.Errorf("only %d of %d changes changed the findings", changedFindings, steps)
	}
	t.Logf("%d of %d changes changed the findings", changedFindings, steps)
}

// TestIncrementalRerunsOnlyWhatAChangeAffects: a change in one namespace re-runs the
// object checks of that namespace only, and a Pod change does not re-run the RBAC
// checks.
func TestIncrementalRerunsOnlyWhatAChangeAffects(t *testing.T) {
	objs := decodeFixture(t, "testdata/incremental/base.yaml")
	inv := inventory.NewInventory(objs)
	inc := NewEvaluator(Options{}).Incremental()
	inc.Evaluate(context.Background(), inv, Change{All: true})
	shop := inc.byNamespace["shop"]
	rbac := inc.byRule["rbac/dangling-reference"]

	var ch Change
	ch.Add("Pod", "tools", "debug")
	inc.Evaluate(context.Background(), inv, ch)
	if got := inc.byNamespace["shop"]; len(got.findings) == 0 || &got.findings[0] != &shop.findings[0] {
		t.Error("a change in namespace tools evaluated namespace shop again")
	}
	if got := inc.byRule["rbac/dangling-reference"]; len(got.findings) != len(rbac.findings) || len(rbac.findings) > 0 && &got.findings[0] != &rbac.findings[0] {
		t.Error("a Pod change ran the RBAC checks again")
	}
	if !readsAny(ruleNamed(t, "netpol/namespace-without-policy"), ch.Kinds) {
		t.Error("a Pod change does not run the NetworkPolicy checks again")
	}
}

func ruleNamed(t *testing.T, id string) *rule.Rule {
	t.Helper()
	r := rule.Get(id)
	if r == nil {
		t.Fatalf("no rule %s", id)
	}
	return r
}

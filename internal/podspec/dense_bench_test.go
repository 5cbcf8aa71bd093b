package podspec_test

import (
	"context"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	_ "github.com/moat-dev/moat/internal/catalog" // every rule registered
	"github.com/moat-dev/moat/internal/cputime"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// BenchmarkObjectRulesDense runs the checks of each rule family (the package that
// implements them: pss, workload, secrets, rbac, exposure, ...) over the finding-dense
// benchmark input, read from the file MOAT_RULES_DENSE names (skipped without it), one
// goroutine, a fresh rule.Context per iteration as a scan has:
//
//	go run ./bench/gen -mix dense -n 10000 > /tmp/d10k.yaml
//	MOAT_RULES_DENSE=/tmp/d10k.yaml go test ./internal/podspec -run '^$' -bench ObjectRulesDense -benchmem -count 5
//
// "object/F" are the object checks of family F on every object, "inventory/F" its
// inventory checks; "object/all" every object check, what the engine's workers share.
// Besides the wall time, cpu-ns/op is the process's CPU time, which other work on the
// machine disturbs less.
func BenchmarkObjectRulesDense(b *testing.B) {
	path := os.Getenv("MOAT_RULES_DENSE")
	if path == "" {
		b.Skip("set MOAT_RULES_DENSE to a file written by go run ./bench/gen -mix dense")
	}
	if _, err := os.Stat(path); err != nil {
		b.Skip(err)
	}
	inv := inventory.Load([]string{path}, inventory.Options{})
	if len(inv.Errors) > 0 {
		b.Fatalf("load %s: %v", path, inv.Errors[0])
	}
	opt := rule.Options{PSSVersion: "latest"}
	objectRules, inventoryRules := byFamily(rule.All())

	runObjects := func(b *testing.B, rules []*rule.Rule) {
		b.ReportAllocs()
		defer cputime.PerOp(b)()
		var n int
		for b.Loop() {
			c := rule.NewContext(context.Background(), opt, inv)
			n = 0
			for _, o := range inv.Objects {
				for _, r := range rules {
					n += len(r.Object(c, o))
				}
			}
		}
		b.ReportMetric(float64(n), "results")
	}
	var all []*rule.Rule
	for _, f := range sortedKeys(objectRules) {
		all = append(all, objectRules[f]...)
		b.Run("object/"+f, func(b *testing.B) { runObjects(b, objectRules[f]) })
	}
	b.Run("object/all", func(b *testing.B) { runObjects(b, all) })
	for _, f := range sortedKeys(inventoryRules) {
		b.Run("inventory/"+f, func(b *testing.B) {
			b.ReportAllocs()
			defer cputime.PerOp(b)()
			var n int
			for b.Loop() {
				c := rule.NewContext(context.Background(), opt, inv)
				n = 0
				for _, r := range inventoryRules[f] {
					n += len(r.Inventory(c))
				}
			}
			b.ReportMetric(float64(n), "results")
		})
	}
}

// byFamily groups rules by the package their checks are written in, object and
// inventory checks apart.
func byFamily(rules []*rule.Rule) (object, inv map[string][]*rule.Rule) {
	object, inv = map[string][]*rule.Rule{}, map[string][]*rule.Rule{}
	for _, r := range rules {
		if r.Object != nil {
			f := family(r.Object)
			object[f] = append(object[f], r)
		}
		if r.Inventory != nil {
			f := family(r.Inventory)
			inv[f] = append(inv[f], r)
		}
	}
	return object, inv
}

// family is the last element of the import path of fn's package:
// "github.com/moat-dev/moat/internal/pss.register.func1" is "pss".
func family(fn any) string {
	name := runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
	name = name[strings.LastIndex(name, "/")+1:]
	pkg, _, _ := strings.Cut(name, ".")
	return pkg
}

func sortedKeys(m map[string][]*rule.Rule) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package finding

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"testing"
)

// TestGatherIsConcatenateThenSort checks Gather against what it replaces — the parts
// copied into one slice in order, then the stable sort — on findings that tie often,
// cut into parts of random sizes, on one core and on two (the parallel merge).
func TestGatherIsConcatenateThenSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, procs := range []int{1, 2} {
		prev := runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 7, 600, parallelSortMin - 1, parallelSortMin, 3*parallelSortMin + 17} {
			fs := randomFindings(r, n)
			var parts [][]Finding
			for rest := fs; len(rest) > 0; {
				k := min(len(rest), 1+r.IntN(700))
				parts = append(parts, rest[:k])
				rest = rest[k:]
			}
			want := slices.Clone(fs)
			slices.SortStableFunc(want, Compare)
			got := Gather(parts)
			if len(got) != n || (n > 0 && !reflect.DeepEqual(got, want)) {
				t.Fatalf("GOMAXPROCS=%d n=%d: Gather differs from concatenating and sorting", procs, n)
			}
		}
		runtime.GOMAXPROCS(prev)
	}
}

// TestGatherWithoutKeys: a severity the keys cannot hold leaves every pair to compare.
func TestGatherWithoutKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, odd := range []Severity{-1, maxKeyedSeverity + 1} {
		fs := randomFindings(r, 3*parallelSortMin)
		fs[r.IntN(len(fs))].Severity = odd
		want := slices.Clone(fs)
		slices.SortStableFunc(want, Compare)
		if got := Gather([][]Finding{fs[:100], fs[100:]}); !reflect.DeepEqual(got, want) {
			t.Errorf("with a finding of severity %d: Gather differs from concatenating and sorting", odd)
		}
	}
}

func BenchmarkGather(b *testing.B) {
	fs := randomFindings(rand.New(rand.NewPCG(5, 6)), 200_000)
	var parts [][]Finding
	for i := 0; i < len(fs); i += 512 {
		parts = append(parts, fs[i:min(i+512, len(fs))])
	}
	b.Run("gather", func(b *testing.B) {
		for b.Loop() {
			Gather(parts)
		}
	})
	b.Run("copy-then-sort", func(b *testing.B) {
		for b.Loop() {
			out := make([]Finding, 0, len(fs))
			for _, p := range parts {
				out = append(out, p...)
			}
			Sort(out)
		}
	})
}

// BenchmarkGatherScan gathers findings shaped like a scan's: 770,000 of them, about 7.7
// per resource over 100,000 resources, each resource's findings made together, in
// blocks of 512 as the engine collects them.
func BenchmarkGatherScan(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	const resources, n = 100_000, 770_000
	fs := make([]Finding, n)
	rules := []string{"pod/privileged-container", "pod/run-as-non-root", "image/not-pinned-by-digest", "secret/env-from-secret", "pod/readiness-probe-missing"}
	res := Resource{}
	for i := range fs {
		if i%8 == 0 || r.IntN(8) == 0 {
			k := r.IntN(resources)
			res = Resource{APIVersion: "apps/v1", Kind: []string{"Deployment", "StatefulSet", "CronJob"}[k%3],
				Namespace: fmt.Sprintf("team-%d", k%100), Name: fmt.Sprintf("app-%d", k)}
		}
		fs[i] = Finding{RuleID: rules[r.IntN(len(rules))], Severity: Severity(r.IntN(5)), Resource: res,
			Path: fmt.Sprintf("spec.template.spec.containers[%d]", r.IntN(3)), Message: "m"}
	}
	var parts [][]Finding
	for i := 0; i < len(fs); i += 512 {
		parts = append(parts, slices.Clone(fs[i:min(i+512, len(fs))]))
	}
	b.ResetTimer()
	for b.Loop() {
		Gather(parts)
	}
}

// TestCountRootCausesOnTwoCores checks the parallel count against the groups
// RootCauses makes of the unsuppressed findings.
func TestCountRootCausesOnTwoCores(t *testing.T) {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{parallelSortMin - 1, 2*parallelSortMin + 3} {
		fs := randomFindings(r, n)
		for i := range fs { // many resources, so that both halves hold some
			fs[i].Resource.Name += string(rune('a' + r.IntN(26)))
		}
		Sort(fs)
		unsuppressed := slices.DeleteFunc(slices.Clone(fs), func(f Finding) bool { return f.Suppressed != nil })
		if got, want := countRootCauses(fs), len(RootCauses(unsuppressed)); got != want {
			t.Fatalf("n=%d: countRootCauses = %d, RootCauses has %d groups", n, got, want)
		}
	}
}

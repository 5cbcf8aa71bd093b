package finding

import (
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

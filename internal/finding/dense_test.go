package finding

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// denseIDs gives the numbers a plain map gives in one pass, on one core or two, with
// items left out, in runs and not.
func TestDenseIDsNumberInOrderOfFirstComing(t *testing.T) {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 5, parallelSortMin - 1, parallelSortMin, 3*parallelSortMin + 7} {
		for _, keys := range []int{1, 7, n/3 + 1} {
			items := make([]int, n)
			for i := range items {
				if i > 0 && r.IntN(4) > 0 {
					items[i] = items[i-1] // a run
				} else {
					items[i] = r.IntN(keys)
				}
			}
			kept := func(i int) bool { return items[i]%5 != 3 }
			ids, first := denseIDs(n, func(i int) (int, bool) { return items[i], kept(i) })

			wantIDs, wantFirst := make([]int32, n), []int32{}
			seen := map[int]int32{}
			for i, k := range items {
				if !kept(i) {
					wantIDs[i] = -1
					continue
				}
				id, ok := seen[k]
				if !ok {
					id = int32(len(wantFirst))
					seen[k] = id
					wantFirst = append(wantFirst, int32(i))
				}
				wantIDs[i] = id
			}
			if !slices.Equal(ids, wantIDs) || !slices.Equal(first, wantFirst) {
				t.Fatalf("n=%d, %d keys: numbers differ from a plain map's (first %v, want %v)", n, keys, head32(first), head32(wantFirst))
			}
		}
	}
}

func head32(s []int32) []int32 { return s[:min(len(s), 10)] }

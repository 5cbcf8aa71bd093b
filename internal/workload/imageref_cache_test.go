package workload

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// The cache gives what parsing gives, on any goroutine, for valid and invalid
// references, also across the clearing when it is full.
func TestParseImageRefCache(t *testing.T) {
	var ins []string
	for _, c := range imageRefCases {
		ins = append(ins, c.in)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range imageRefCacheMax + 500 { // more distinct strings than the cache holds
		ins = append(ins, fmt.Sprintf("registry.example.com/team-%d/app:%d", r.IntN(50000), r.IntN(50)))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rg := rand.New(rand.NewPCG(uint64(g), 3))
			for range 3 * len(ins) / 2 {
				s := ins[rg.IntN(len(ins))]
				got, gotErr := parseImageRef(s)
				want, wantErr := parseImageRefUncached(s)
				if got != want || (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
					errs <- fmt.Sprintf("%q: cached %+v, %v; parsed %+v, %v", s, got, gotErr, want, wantErr)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := imageRefCacheLen.Load(); n > imageRefCacheMax {
		t.Errorf("cache holds %d strings, more than %d", n, imageRefCacheMax)
	}
}

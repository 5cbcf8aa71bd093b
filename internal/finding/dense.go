package finding

import (
	"runtime"
	"sync"
)

// denseIDs numbers the distinct keys of n items in the order each first comes: ids[i]
// is the number of item i's key, -1 when key leaves the item out, and first[k] is the
// first item of key number k. An item whose key is the last kept item's is not looked
// up: findings come in runs of one resource.
//
// From parallelSortMin items on, the two halves are numbered on two cores, each with
// its own index, and the second half's numbers are then mapped after the first's: a
// scan's grouping of findings by resource was otherwise a pass on one core while the
// other stood idle.
func denseIDs[K comparable](n int, key func(i int) (K, bool)) (ids, first []int32) {
	ids = make([]int32, n)
	if n < parallelSortMin || runtime.GOMAXPROCS(0) < 2 {
		_, first = numberKeys(ids, 0, n, key)
		return ids, first
	}
	half := n / 2
	var (
		indexA map[K]int32
		wg     sync.WaitGroup
	)
	wg.Go(func() { indexA, first = numberKeys(ids, 0, half, key) })
	_, firstB := numberKeys(ids, half, n, key)
	wg.Wait()
	// The second half's keys that the first half has take its numbers; the others
	// follow the first half's, in the order they came.
	renumber := make([]int32, len(firstB))
	for j, i := range firstB {
		k, _ := key(int(i))
		if id, ok := indexA[k]; ok {
			renumber[j] = id
		} else {
			renumber[j] = int32(len(first))
			first = append(first, i)
		}
	}
	for i := half; i < n; i++ {
		if ids[i] >= 0 {
			ids[i] = renumber[ids[i]]
		}
	}
	return ids, first
}

// numberKeys numbers the keys of items lo to hi-1 into ids, from 0, as denseIDs does,
// and returns the index of the keys and the first item of each.
func numberKeys[K comparable](ids []int32, lo, hi int, key func(i int) (K, bool)) (map[K]int32, []int32) {
	index := map[K]int32{}
	var (
		first  []int32
		last   K
		lastID int32 = -1
	)
	for i := lo; i < hi; i++ {
		k, ok := key(i)
		if !ok {
			ids[i] = -1
			continue
		}
		if lastID < 0 || k != last {
			id, found := index[k]
			if !found {
				id = int32(len(first))
				index[k] = id
				first = append(first, int32(i))
			}
			last, lastID = k, id
		}
		ids[i] = lastID
	}
	return index, first
}

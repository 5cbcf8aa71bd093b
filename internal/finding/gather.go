package finding

import (
	"cmp"
	"runtime"
	"slices"
	"sync"
)

// parallelSortMin is the number of findings from which Gather sorts on two cores:
// below it a goroutine costs more than it saves.
const parallelSortMin = 1 << 14

// Gather returns the findings of parts as one slice in the report order (Sort's),
// ties kept in the order of parts. It is what an evaluation that collected findings in
// blocks needs at its end, done in one pass: it sorts references to the findings
// rather than the findings, on two cores when there are many, and then copies each
// finding once, to its place. Copying the blocks into one slice and sorting that
// moved each 232-byte finding twice, alone on one core; on a scan of 770,000 findings
// those moves were most of the time after the rules.
func Gather(parts [][]Finding) []Finding {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	refs := make([]ref, 0, n)
	for _, p := range parts {
		for i := range p {
			refs = append(refs, ref{f: &p[i], at: int32(len(refs))})
		}
	}
	setKeys(refs)
	out := make([]Finding, n)
	if n < parallelSortMin || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(refs, compareRefs)
		for i, r := range refs {
			out[i] = *r.f
		}
		return out
	}
	half := n / 2
	a, b := refs[:half], refs[half:]
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(a, compareRefs) })
	slices.SortFunc(b, compareRefs)
	wg.Wait()
	// The merge in two halves too: the first half of out takes a[:i] and b[:j].
	i, j := coRank(half, a, b)
	wg.Go(func() { mergeInto(out[:half], a[:i], b[:j]) })
	mergeInto(out[half:], a[i:], b[j:])
	wg.Wait()
	return out
}

// coRank returns i and j, i+j = k, such that the k smallest of the sorted a and b are
// a[:i] and b[:j]. compareRefs never ties, so the cut is unique.
func coRank(k int, a, b []ref) (i, j int) {
	lo, hi := max(0, k-len(b)), min(k, len(a))
	for lo < hi {
		i := int(uint(lo+hi) >> 1)
		if compareRefs(a[i], b[k-i-1]) < 0 {
			lo = i + 1 // a[i] comes before b's last in the first k: take more of a
		} else {
			hi = i
		}
	}
	return lo, k - lo
}

// ref is a finding of Gather's parts, its key, and its place among them (the
// tie-break).
type ref struct {
	f   *Finding
	key uint64
	at  int32
}

// compareRefs orders refs as compare orders their findings. Refs whose keys differ are
// ordered by their keys alone, without reading the findings: at 770,000 findings spread
// over a gigabyte, reading two of them for each comparison was most of the sort's time.
func compareRefs(a, b ref) int {
	if a.key != b.key {
		return cmp.Compare(a.key, b.key)
	}
	if c := compare(a.f, b.f); c != 0 {
		return c
	}
	return cmp.Compare(a.at, b.at)
}

// maxKeyedSeverity is the highest severity a key holds; findings of other severities
// (there are none: Critical is 4) leave every key 0, and compare decides each pair.
const maxKeyedSeverity = 1<<16 - 1

// setKeys gives each ref the key that orders it as compare's first criteria do: its
// severity, most severe first, in the high 32 bits, and the rank of its resource among
// the resources of refs, in compare's order of resources, in the low 32. Equal keys are
// equal severities and resources; compare orders those by rule, path, source and message.
func setKeys(refs []ref) {
	ids, first := denseIDs(len(refs), func(i int) (Resource, bool) { return refs[i].f.Resource, true })
	rank := resourceRanks(refs, first)
	for i := range refs {
		f := refs[i].f
		if f.Severity < 0 || f.Severity > maxKeyedSeverity {
			for j := range refs {
				refs[j].key = 0
			}
			return
		}
		refs[i].key = uint64(maxKeyedSeverity-f.Severity)<<32 | uint64(rank[ids[i]])
	}
}

// resourceRanks returns the rank of each resource among them all, in compare's order
// of resources; first[k] is the first ref of resource number k. Many are sorted in
// two halves on two cores, then merged.
func resourceRanks(refs []ref, first []int32) []uint32 {
	byResource := func(a, b int32) int {
		return compareResources(&refs[first[a]].f.Resource, &refs[first[b]].f.Resource)
	}
	ids := make([]int32, len(first))
	for k := range ids {
		ids[k] = int32(k)
	}
	order := ids
	if len(ids) < parallelSortMin || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(order, byResource)
	} else {
		a, b := ids[:len(ids)/2], ids[len(ids)/2:]
		var wg sync.WaitGroup
		wg.Go(func() { slices.SortFunc(a, byResource) })
		slices.SortFunc(b, byResource)
		wg.Wait()
		order = make([]int32, 0, len(ids))
		for len(a) > 0 && len(b) > 0 {
			if byResource(a[0], b[0]) <= 0 {
				order, a = append(order, a[0]), a[1:]
			} else {
				order, b = append(order, b[0]), b[1:]
			}
		}
		order = append(append(order, a...), b...)
	}
	rank := make([]uint32, len(first))
	for r, k := range order {
		rank[k] = uint32(r)
	}
	return rank
}

// mergeInto copies the findings of the sorted a and b into out in order.
func mergeInto(out []Finding, a, b []ref) {
	i, j, k := 0, 0, 0
	for i < len(a) && j < len(b) {
		if compareRefs(a[i], b[j]) <= 0 {
			out[k] = *a[i].f
			i++
		} else {
			out[k] = *b[j].f
			j++
		}
		k++
	}
	for ; i < len(a); i++ {
		out[k] = *a[i].f
		k++
	}
	for ; j < len(b); j++ {
		out[k] = *b[j].f
		k++
	}
}

package reach

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"slices"
	"sort"
)

// Origins. The rules that ask "from where may this be reached" name sources by where
// they are, not one by one: a namespace, elsewhere (the probe: any pod of a namespace
// outside the model) or outside the cluster. An endpoint's origin is that place. Origins
// are numbered: the namespaces of the classes in sorted order, then the probe (with
// Options.Probe), then outside (when the outside has nodes).
//
// Asking a class's ingress about every source endpoint costs classes × endpoints; a
// Splitter instead cuts the endpoints by which of the class's rules match them, since
// endpoints matched by the same rules get the same Grants, and gives each piece as the
// origins it spans. The rules' matches are summarised per origin once (whole origins,
// and the endpoints of origins they match in part), so the cost per class grows with
// its rules and the number of origins, not with the endpoints.

// OriginSet is a set of origins.
type OriginSet struct{ b bitset }

// NewOriginSet is an empty set of the analysis's origins.
func (a *Analysis) NewOriginSet() OriginSet { return OriginSet{newBitset(len(a.originNS))} }

// Has reports whether o is in the set.
func (s OriginSet) Has(o int) bool { return o >= 0 && o < len(s.b)*64 && s.b.has(o) }

// Add puts o in the set.
func (s OriginSet) Add(o int) { s.b.set(o) }

// Remove takes o out of the set (nothing when o < 0).
func (s OriginSet) Remove(o int) {
	if o >= 0 {
		s.b.clear(o)
	}
}

// Or adds every origin of t (a set of the same analysis).
func (s OriginSet) Or(t OriginSet) { s.b.or(t.b) }

// IsEmpty reports the empty set.
func (s OriginSet) IsEmpty() bool {
	for _, w := range s.b {
		if w != 0 {
			return false
		}
	}
	return true
}

// Len is the number of origins in the set.
func (s OriginSet) Len() int { return s.b.count() }

// Each calls fn for every origin of the set, in increasing order, until fn returns false.
func (s OriginSet) Each(fn func(o int) bool) {
	for i, w := range s.b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			if !fn(i*64 + t) {
				return
			}
			w &= w - 1
		}
	}
}

// Clone is a copy of the set.
func (s OriginSet) Clone() OriginSet { return OriginSet{slices.Clone(s.b)} }

// NumOrigins is the number of origins.
func (a *Analysis) NumOrigins() int { return len(a.originNS) }

// Origin is the origin of endpoint i.
func (a *Analysis) Origin(i int) int { return int(a.origin[i]) }

// NamespaceOrigin is the origin of the classes of namespace ns, -1 when no class is in it.
func (a *Analysis) NamespaceOrigin(ns string) int {
	i, ok := slices.BinarySearch(a.originNS[:a.numNSOrigins], ns)
	if !ok {
		return -1
	}
	return i
}

// ProbeOrigin is the origin of the probe, -1 without one.
func (a *Analysis) ProbeOrigin() int { return a.probeOrigin }

// OutsideOrigin is the origin of the addresses outside the cluster, -1 when the outside
// has no node.
func (a *Analysis) OutsideOrigin() int { return a.outsideOrigin }

// OriginNamespace is the namespace of a namespace origin (ProbeNamespace for the probe,
// "" outside).
func (a *Analysis) OriginNamespace(o int) string { return a.originNS[o] }

// buildOrigins numbers the origins of the endpoints.
func (a *Analysis) buildOrigins() {
	nc := len(a.classes)
	var names []string
	seen := map[string]bool{}
	for _, c := range a.classes {
		if !c.probe && !seen[c.ns] {
			seen[c.ns] = true
			names = append(names, c.ns)
		}
	}
	sort.Strings(names)
	a.numNSOrigins = len(names)
	a.originNS = names
	a.probeOrigin, a.outsideOrigin = -1, -1
	if a.probe >= 0 {
		a.probeOrigin = len(a.originNS)
		a.originNS = append(a.originNS, ProbeNamespace)
	}
	if a.n > nc {
		a.outsideOrigin = len(a.originNS)
		a.originNS = append(a.originNS, "")
	}
	index := make(map[string]int32, len(names))
	for i, ns := range names {
		index[ns] = int32(i)
	}
	a.origin = make([]int32, a.n)
	a.originMembers = make([][]int32, len(a.originNS))
	a.originsByFirst = make([]int32, 0, len(a.originNS))
	for i := range a.n {
		var o int32
		switch {
		case i >= nc:
			o = int32(a.outsideOrigin)
		case a.classes[i].probe:
			o = int32(a.probeOrigin)
		default:
			o = index[a.classes[i].ns]
		}
		a.origin[i] = o
		if len(a.originMembers[o]) == 0 {
			a.originsByFirst = append(a.originsByFirst, o)
		}
		a.originMembers[o] = append(a.originMembers[o], int32(i))
	}
}

// SourceSplit is a piece of the endpoints that the rules of a class treat alike: every
// endpoint of it gets the same Grants. Rep is its first endpoint, From the origins of
// its endpoints.
type SourceSplit struct {
	Rep  int
	From OriginSet
}

// Splitter cuts the endpoints by the rules of classes (SplitIngress). It keeps what it
// learns about each rule's match for the next class; it is not safe for concurrent use.
type Splitter struct {
	a     *Analysis
	byID  []*matchSummary            // by rule id
	bySum map[uint64][]*matchSummary // by hash of the match, for rules that match alike
	seed  maphash.Seed
	count []int32 // scratch, by origin
	local []int32 // scratch, by rule id: index in the class's rules + 1
}

// matchSummary is a rule's match by origin: the origins whose every endpoint it
// matches, the origins it matches in part and, for those, the endpoints it matches.
type matchSummary struct {
	match      bitset
	full, part bitset
	partEPs    []int32
}

// NewSplitter is a Splitter of the analysis.
func (a *Analysis) NewSplitter() *Splitter {
	return &Splitter{a: a, byID: make([]*matchSummary, len(a.rules)), bySum: map[uint64][]*matchSummary{},
		seed: maphash.MakeSeed(), count: make([]int32, len(a.originNS)), local: make([]int32, len(a.rules))}
}

func (s *Splitter) summary(r *cRule) *matchSummary {
	if m := s.byID[r.id]; m != nil {
		return m
	}
	var h maphash.Hash
	h.SetSeed(s.seed)
	var buf [8]byte
	for _, w := range r.match {
		binary.LittleEndian.PutUint64(buf[:], w)
		h.Write(buf[:])
	}
	key := h.Sum64()
	for _, m := range s.bySum[key] {
		if slices.Equal(m.match, r.match) {
			s.byID[r.id] = m
			return m
		}
	}
	a := s.a
	no := len(a.originNS)
	m := &matchSummary{match: r.match, full: newBitset(no), part: newBitset(no)}
	var touched []int32
	r.match.each(func(i int) {
		o := a.origin[i]
		if s.count[o] == 0 {
			touched = append(touched, o)
		}
		s.count[o]++
	})
	inPart := false
	for _, o := range touched {
		if int(s.count[o]) == len(a.originMembers[o]) {
			m.full.set(int(o))
		} else {
			m.part.set(int(o))
			inPart = true
		}
		s.count[o] = 0
	}
	if inPart {
		r.match.each(func(i int) {
			if m.part.has(int(a.origin[i])) {
				m.partEPs = append(m.partEPs, int32(i))
			}
		})
	}
	s.byID[r.id] = m
	s.bySum[key] = append(s.bySum[key], m)
	return m
}

// SplitIngress cuts the endpoints of every origin but those of skip (a set of the
// analysis's origins, or the zero OriginSet for none) into the pieces that the ingress
// rules of class d treat alike: Grants(d, e, false) and Ingress(d, e) are the same for
// every endpoint e of a piece. Pieces come in the order of their first endpoints.
func (s *Splitter) SplitIngress(d int, skip OriginSet) []SourceSplit {
	a := s.a
	ds := &a.classes[d].in
	// The rules that may decide, each once.
	var rules []*matchSummary
	for _, st := range ds.steps {
		for _, r := range st.rules {
			if s.local[r.id] == 0 {
				rules = append(rules, s.summary(r))
				s.local[r.id] = int32(len(rules))
			}
		}
	}
	for _, st := range ds.steps {
		for _, r := range st.rules {
			s.local[r.id] = 0
		}
	}
	no := len(a.originNS)
	nr := len(rules)
	// Whole origins, by the rules that match all of them.
	type block struct {
		origins bitset
		sig     bitset // over rules
	}
	all := newBitset(no)
	all.fill(no)
	for i, w := range skip.b {
		all[i] &^= w
	}
	blocks := []block{{origins: all, sig: newBitset(nr)}}
	for j, m := range rules {
		if isZero(m.full) {
			continue
		}
		next := blocks[:0:0]
		for _, b := range blocks {
			in, out := newBitset(no), newBitset(no)
			anyIn, anyOut := false, false
			for i, w := range b.origins {
				in[i] = w & m.full[i]
				out[i] = w &^ m.full[i]
				anyIn = anyIn || in[i] != 0
				anyOut = anyOut || out[i] != 0
			}
			switch {
			case !anyIn:
				next = append(next, b)
			case !anyOut:
				b.sig.set(j)
				next = append(next, b)
			default:
				sig := slices.Clone(b.sig)
				sig.set(j)
				next = append(next, block{origins: in, sig: sig}, block{origins: out, sig: b.sig})
			}
		}
		blocks = next
	}
	// Endpoints that a rule matches in an origin it matches in part.
	extra := map[int32]bitset{}
	var eps []int32
	for j, m := range rules {
		for _, e := range m.partEPs {
			if skip.Has(int(a.origin[e])) {
				continue
			}
			sig, ok := extra[e]
			if !ok {
				sig = newBitset(nr)
				extra[e] = sig
				eps = append(eps, e)
			}
			sig.set(j)
		}
	}
	slices.Sort(eps)
	// Origins none of whose endpoints keeps the signature of its block.
	for _, e := range eps {
		s.count[a.origin[e]]++
	}
	firstPlain := func(o int) int32 { // the first endpoint of o that no rule matches in part, -1 if none
		for _, e := range a.originMembers[o] {
			if _, ok := extra[e]; !ok {
				return e
			}
		}
		return -1
	}
	type piece struct {
		rep  int32
		from bitset
	}
	var pieces []piece
	bySig := map[string]int{}
	add := func(sig bitset, rep int32, from func(bitset)) {
		key := sigKey(sig)
		k, ok := bySig[key]
		if !ok {
			k = len(pieces)
			bySig[key] = k
			pieces = append(pieces, piece{rep: rep, from: newBitset(no)})
		}
		p := &pieces[k]
		p.rep = min(p.rep, rep)
		from(p.from)
	}
	// An origin all of whose endpoints rules match in part keeps none with its block's
	// signature: it leaves its block.
	for _, e := range eps {
		o := int(a.origin[e])
		if int(s.count[o]) == len(a.originMembers[o]) {
			for _, b := range blocks {
				b.origins.clear(o)
			}
		}
	}
	for _, b := range blocks {
		// The block's first endpoint: that of the origin whose first plain endpoint
		// comes first. Few origins are looked at one by one; many, in the order of
		// their first endpoints, until no further origin can come first.
		rep := int32(-1)
		consider := func(o int) {
			e := a.originMembers[o][0]
			if s.count[o] > 0 {
				e = firstPlain(o)
			}
			if rep < 0 || e < rep {
				rep = e
			}
		}
		if n := b.origins.count(); n*n <= no {
			b.origins.each(consider)
		} else {
			for _, o := range a.originsByFirst {
				if rep >= 0 && a.originMembers[o][0] >= rep {
					break
				}
				if b.origins.has(int(o)) {
					consider(int(o))
				}
			}
		}
		if rep >= 0 {
			add(b.sig, rep, func(f bitset) { f.or(b.origins) })
		}
	}
	for _, e := range eps {
		o := int(a.origin[e])
		sig := extra[e]
		for j, m := range rules {
			if m.full.has(o) {
				sig.set(j)
			}
		}
		add(sig, e, func(f bitset) { f.set(o) })
	}
	for _, e := range eps {
		s.count[a.origin[e]] = 0
	}
	slices.SortFunc(pieces, func(x, y piece) int { return int(x.rep) - int(y.rep) })
	out := make([]SourceSplit, len(pieces))
	for i, p := range pieces {
		out[i] = SourceSplit{Rep: int(p.rep), From: OriginSet{p.from}}
	}
	return out
}

func (b bitset) clear(i int) { b[i>>6] &^= 1 << (uint(i) & 63) }

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

func isZero(b bitset) bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

func sigKey(b bitset) string {
	buf := make([]byte, 8*len(b))
	for i, w := range b {
		binary.LittleEndian.PutUint64(buf[8*i:], w)
	}
	return string(buf)
}

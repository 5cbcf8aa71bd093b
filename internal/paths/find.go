package paths

import (
	"cmp"
	"slices"
	"strings"
)

// Path is a shortest chain of edges from an entry to a target.
type Path struct {
	Entry  string  `json:"entry"`
	Target string  `json:"target"`
	Edges  []*Edge `json:"edges"`
	// Score ranks paths: what the target is worth, how the entry is reached, how few
	// steps it takes. Higher is worse.
	Score int `json:"score"`
}

// targetValue is what reaching a node is worth.
func targetValue(n *Node) int {
	switch {
	case n.Kind == KindPower && n.Name == PowerClusterAdmin:
		return 100
	case n.Kind == KindPower:
		return 90
	case n.Kind == KindNode:
		return 80
	case n.Kind == KindSecret:
		return 50
	}
	return 10
}

// entryValue: the internet is worse than an assumed breach.
func entryValue(n *Node) int {
	if n.ID == InternetID {
		return 20
	}
	return 0
}

// removedSet is a set of fix IDs taken as applied: their edges are gone.
type removedSet map[string]bool

func (r removedSet) cuts(e *Edge) bool {
	for _, f := range e.Fixes {
		if r[f.ID] {
			return true
		}
	}
	return false
}

// search is a breadth-first search from one node, over the edges no applied fix
// removes; prev holds the edge each reached node was first reached by.
func (g *Graph) search(from string, removed removedSet) map[string]*Edge {
	prev := map[string]*Edge{from: nil}
	queue := []string{from}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, e := range g.out[id] {
			if _, seen := prev[e.To]; seen || removed.cuts(e) {
				continue
			}
			prev[e.To] = e
			queue = append(queue, e.To)
		}
	}
	return prev
}

// Entries lists the entry nodes in order.
func (g *Graph) Entries() []string {
	var out []string
	for _, id := range g.NodeIDs() {
		if g.Nodes[id].Kind == KindEntry {
			out = append(out, id)
		}
	}
	return out
}

// Paths finds a shortest path from every entry to every target it reaches, ranked,
// worst first; removed are fixes taken as applied.
func (g *Graph) Paths(removed removedSet) []Path {
	var out []Path
	for _, entry := range g.Entries() {
		prev := g.search(entry, removed)
		for id := range prev {
			n := g.Nodes[id]
			if !n.Target || id == entry {
				continue
			}
			var edges []*Edge
			for at := id; prev[at] != nil; at = prev[at].From {
				edges = append(edges, prev[at])
			}
			slices.Reverse(edges)
			out = append(out, Path{Entry: entry, Target: id, Edges: edges,
				Score: targetValue(n)*10 + entryValue(g.Nodes[entry]) - 5*len(edges)})
		}
	}
	slices.SortFunc(out, func(a, b Path) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(len(a.Edges), len(b.Edges)),
			strings.Compare(a.Entry, b.Entry), strings.Compare(a.Target, b.Target))
	})
	return out
}

// pair is an entry and a target it reaches.
type pair struct{ entry, target string }

func pairsOf(ps []Path) map[pair]bool {
	out := make(map[pair]bool, len(ps))
	for _, p := range ps {
		out[pair{p.Entry, p.Target}] = true
	}
	return out
}

// ChokePoint is a fix and the paths it cuts: the entry and target pairs that are no
// longer connected at all once it is applied (with the choke points before it).
type ChokePoint struct {
	Fix *Fix `json:"fix"`
	// Cuts are indexes into the paths given to ChokePoints (in a Result, into the
	// paths listed).
	Cuts []int `json:"cuts"`
	// Total is how many paths it cuts, Listed how many of those a Result lists.
	Total  int `json:"total"`
	Listed int `json:"-"`
}

// maxCandidates bounds the fixes tried at each greedy round: those on the most paths.
const maxCandidates = 64

// ChokePoints chooses, greedily, up to max fixes that cut the most paths: at each
// round, of the fixes on the remaining paths, the one whose removal disconnects the
// most remaining entry-target pairs, verified by searching the graph again.
func (g *Graph) ChokePoints(paths []Path, max int) []ChokePoint {
	index := map[pair]int{}
	for i, p := range paths {
		index[pair{p.Entry, p.Target}] = i
	}
	removed := removedSet{}
	left := pairsOf(paths)
	var out []ChokePoint
	for len(out) < max && len(left) > 0 {
		best, bestCut := (*Fix)(nil), []pair(nil)
		for _, f := range g.candidates(paths, left) {
			if removed[f.ID] {
				continue // applied already: a listed path may still carry it
			}
			removed[f.ID] = true
			cut := g.disconnected(left, removed)
			delete(removed, f.ID)
			if len(cut) > len(bestCut) {
				best, bestCut = f, cut
			}
		}
		if best == nil {
			break
		}
		removed[best.ID] = true
		cp := ChokePoint{Fix: best}
		for _, p := range bestCut {
			delete(left, p)
			cp.Cuts = append(cp.Cuts, index[p])
		}
		slices.Sort(cp.Cuts)
		out = append(out, cp)
	}
	return out
}

// candidates are the fixes on the paths still left, those on the most paths first.
func (g *Graph) candidates(paths []Path, left map[pair]bool) []*Fix {
	count := map[*Fix]int{}
	for _, p := range paths {
		if !left[pair{p.Entry, p.Target}] {
			continue
		}
		seen := map[*Fix]bool{}
		for _, e := range p.Edges {
			for _, f := range e.Fixes {
				if !seen[f] {
					seen[f] = true
					count[f]++
				}
			}
		}
	}
	fixes := make([]*Fix, 0, len(count))
	for f := range count {
		fixes = append(fixes, f)
	}
	slices.SortFunc(fixes, func(a, b *Fix) int { return cmp.Or(cmp.Compare(count[b], count[a]), strings.Compare(a.ID, b.ID)) })
	if len(fixes) > maxCandidates {
		fixes = fixes[:maxCandidates]
	}
	return fixes
}

// disconnected lists the pairs of left whose entry no longer reaches the target with
// the removed fixes applied: one search per entry.
func (g *Graph) disconnected(left map[pair]bool, removed removedSet) []pair {
	byEntry := map[string][]string{}
	for p := range left {
		byEntry[p.entry] = append(byEntry[p.entry], p.target)
	}
	var cut []pair
	for entry, targets := range byEntry {
		prev := g.search(entry, removed)
		for _, t := range targets {
			if _, ok := prev[t]; !ok {
				cut = append(cut, pair{entry, t})
			}
		}
	}
	return cut
}

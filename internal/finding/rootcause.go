package finding

import (
	"runtime"
	"slices"
	"strings"
	"sync"
)

// RootCause is the findings that one field of one resource causes: the same capability
// added, the same hostPath volume, the same pod no NetworkPolicy selects. Each finding
// is a different control (JSON keeps them all); a person fixes the field once.
type RootCause struct {
	Resource Resource
	// Path is the field the findings share: the shortest of their paths.
	Path string
	// Severity is the highest severity of the unsuppressed findings (of all, when every
	// one is suppressed).
	Severity Severity
	Findings []Finding
}

// RootCauses groups findings that share a resource, a source file and a field: two
// findings share a root cause when their paths are equal or one lies under the other
// (spec.volumes[0] and spec.volumes[0].hostPath.path). Paths that name a whole pod spec or
// object ("", "spec", "spec.template.spec", "metadata") are too wide to stand for one
// field and group only with equal paths. Groups keep the order in which their first
// finding comes.
func RootCauses(fs []Finding) []RootCause {
	groups := RootCauseIndexes(fs)
	if len(groups) == 0 {
		return nil
	}
	out := make([]RootCause, len(groups))
	for g, rc := range groups {
		out[g] = RootCause{Resource: rc.Resource, Path: rc.Path, Severity: rc.Severity, Findings: make([]Finding, len(rc.Members))}
		for k, i := range rc.Members {
			out[g].Findings[k] = fs[i]
		}
	}
	return out
}

// RootCauseIndex is a RootCause that names its findings by their indexes in the slice
// it was made from, rather than holding copies of them.
type RootCauseIndex struct {
	Resource Resource
	Path     string
	Severity Severity
	// Members index the slice given to RootCauseIndexes, in the report order.
	Members []int32
}

// RootCauseIndexes is RootCauses without copying a finding: the table groups every
// resource's findings, and copying each 232-byte finding into its group was a third of
// its time.
func RootCauseIndexes(fs []Finding) []RootCauseIndex {
	var out []RootCauseIndex
	groupFields(fs, func(i int) bool { return true }, func(members []int32, paths []string, groupOf []int32) {
		groups := make([]RootCauseIndex, len(paths))
		for g, p := range paths {
			groups[g].Path = p
		}
		for k, i := range members {
			g := &groups[groupOf[k]]
			if g.Members == nil {
				g.Resource = fs[i].Resource
			}
			g.Members = append(g.Members, i)
		}
		for g := range groups {
			members := groups[g].Members
			groups[g].Severity = worstOf(fs, members)
			slices.SortStableFunc(members, func(a, b int32) int { return compare(&fs[a], &fs[b]) })
		}
		// Most severe first; then in the report order of their first finding.
		slices.SortStableFunc(groups, func(a, b RootCauseIndex) int {
			if a.Severity != b.Severity {
				return int(b.Severity) - int(a.Severity)
			}
			return compare(&fs[a.Members[0]], &fs[b.Members[0]])
		})
		out = append(out, groups...)
	})
	return out
}

// countRootCauses is len(RootCauses) of the unsuppressed findings of fs, counted
// without copying a finding: the summary of every report wants only the number. With
// many findings the resources are grouped on two cores.
func countRootCauses(fs []Finding) int {
	lists := resourceLists(fs, func(i int) bool { return fs[i].Suppressed == nil })
	count := func(lists [][]int32) int {
		var g grouper
		n := 0
		for _, idx := range lists {
			paths, _ := g.group(fs, idx)
			n += len(paths)
		}
		return n
	}
	if len(fs) < parallelSortMin || runtime.GOMAXPROCS(0) < 2 {
		return count(lists)
	}
	half := len(lists) / 2
	var first int
	var wg sync.WaitGroup
	wg.Go(func() { first = count(lists[:half]) })
	second := count(lists[half:])
	wg.Wait()
	return first + second
}

// groupFields is the grouping of RootCauses on the findings of fs that keep selects.
// For each resource and file, in the order their first finding comes, it calls group
// with the indexes of that resource's findings (shortest path first, ties in the order
// of fs), the path of each group, in the order the groups were made, and the group of
// each member.
func groupFields(fs []Finding, keep func(int) bool, group func(members []int32, paths []string, groupOf []int32)) {
	var g grouper
	for _, idx := range resourceLists(fs, keep) {
		paths, groupOf := g.group(fs, idx)
		group(idx, paths, groupOf)
	}
}

// resourceLists returns the indexes of the findings of fs that keep selects, one list
// per resource and source file, in the order their first finding comes.
func resourceLists(fs []Finding, keep func(int) bool) [][]int32 {
	type key struct {
		res  Resource
		file string
	}
	ids, first := denseIDs(len(fs), func(i int) (key, bool) {
		if !keep(i) {
			return key{}, false
		}
		f := &fs[i]
		k := key{res: f.Resource}
		if f.Source != nil {
			k.file = f.Source.File
		}
		return k, true
	})
	// The lists share one array, each given its length of it.
	sizes := make([]int32, len(first))
	kept := 0
	for _, id := range ids {
		if id >= 0 {
			sizes[id]++
			kept++
		}
	}
	all := make([]int32, kept)
	lists := make([][]int32, len(first))
	for k, n := range sizes {
		lists[k], all = all[:0:n], all[n:]
	}
	for i, id := range ids {
		if id >= 0 {
			lists[id] = append(lists[id], int32(i))
		}
	}
	return lists
}

// grouper groups one resource's findings by field; its slices are reused from one
// resource to the next, so what group returns is valid until the next call.
type grouper struct {
	paths   []string
	wide    []bool // wideField of each path, asked once a group
	groupOf []int32
}

// group sorts idx (indexes into fs of one resource's findings) shortest path first,
// ties kept in order, and returns the path of each group, in the order the groups were
// made, and the group of each member.
func (g *grouper) group(fs []Finding, idx []int32) (paths []string, groupOf []int32) {
	// Shorter paths first, so each group starts at its widest field.
	slices.SortStableFunc(idx, func(a, b int32) int { return len(fs[a].Path) - len(fs[b].Path) })
	g.paths, g.wide, g.groupOf = g.paths[:0], g.wide[:0], g.groupOf[:0]
	for _, i := range idx {
		p := fs[i].Path
		at := -1
		for k, root := range g.paths {
			if root == p || !g.wide[k] && under(root, p) {
				at = k
				break
			}
		}
		if at < 0 {
			at = len(g.paths)
			g.paths = append(g.paths, p)
			g.wide = append(g.wide, wideField(p))
		}
		g.groupOf = append(g.groupOf, int32(at))
	}
	return g.paths, g.groupOf
}

// sameField says whether path lies at or under root, root being a specific field.
func sameField(root, path string) bool {
	return root == path || !wideField(root) && under(root, path)
}

// under says whether path lies under the field root.
func under(root, path string) bool {
	if len(path) <= len(root) || !strings.HasPrefix(path, root) {
		return false
	}
	next := path[len(root)]
	return next == '.' || next == '['
}

// wideField is a path that names a whole object or pod spec rather than one field.
func wideField(p string) bool {
	if p == "" {
		return true
	}
	last := p
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		last = p[i+1:]
	}
	switch last {
	case "spec", "template", "metadata", "jobTemplate", "status", "data", "rules":
		return true
	}
	return false
}

// worstOf is the highest severity of the unsuppressed findings of fs that members
// index (of all of them, when every one is suppressed).
func worstOf(fs []Finding, members []int32) Severity {
	s, any := Info, false
	for _, i := range members {
		if f := &fs[i]; f.Suppressed == nil && (!any || f.Severity > s) {
			s, any = f.Severity, true
		}
	}
	if !any {
		for _, i := range members {
			s = max(s, fs[i].Severity)
		}
	}
	return s
}

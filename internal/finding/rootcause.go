package finding

import (
	"slices"
	"strings"
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
	type key struct {
		res  Resource
		file string
	}
	byResource := map[key][]int{} // indexes into fs, per resource and file
	var order []key
	for i, f := range fs {
		k := key{res: f.Resource}
		if f.Source != nil {
			k.file = f.Source.File
		}
		if _, ok := byResource[k]; !ok {
			order = append(order, k)
		}
		byResource[k] = append(byResource[k], i)
	}
	var out []RootCause
	for _, k := range order {
		idx := slices.Clone(byResource[k])
		// Shorter paths first, so each group starts at its widest field.
		slices.SortStableFunc(idx, func(a, b int) int { return len(fs[a].Path) - len(fs[b].Path) })
		var groups []RootCause
		for _, i := range idx {
			f := fs[i]
			joined := false
			for g := range groups {
				if sameField(groups[g].Path, f.Path) {
					groups[g].Findings = append(groups[g].Findings, f)
					joined = true
					break
				}
			}
			if !joined {
				groups = append(groups, RootCause{Resource: f.Resource, Path: f.Path, Findings: []Finding{f}})
			}
		}
		for g := range groups {
			groups[g].Severity = worst(groups[g].Findings)
			Sort(groups[g].Findings)
		}
		// Most severe first; then in the report order of their first finding.
		slices.SortStableFunc(groups, func(a, b RootCause) int {
			if a.Severity != b.Severity {
				return int(b.Severity) - int(a.Severity)
			}
			return Compare(a.Findings[0], b.Findings[0])
		})
		out = append(out, groups...)
	}
	return out
}

// sameField says whether path lies at or under root, root being a specific field.
func sameField(root, path string) bool {
	if root == path {
		return true
	}
	if wideField(root) || !strings.HasPrefix(path, root) {
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

func worst(fs []Finding) Severity {
	s, any := Info, false
	for _, f := range fs {
		if f.Suppressed == nil && (!any || f.Severity > s) {
			s, any = f.Severity, true
		}
	}
	if !any {
		for _, f := range fs {
			s = max(s, f.Severity)
		}
	}
	return s
}

package cluster

import (
	"fmt"
	"strings"
)

// Stats say what a load read.
type Stats struct {
	// Owned counts, per kind ("Pod"), the objects left out because their controller is in
	// the scan.
	Owned map[string]int

	kinds []Kind
}

// OwnedNote says in one sentence which objects were left out because their controllers
// are in the scan, or "" when none were.
func (s *Stats) OwnedNote() string {
	var parts []string
	for _, k := range s.kinds {
		if n := s.Owned[k.GVK.Kind]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, k.GVK.Kind)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("left out %s owned by controllers in the scan: the controllers' pod templates are checked instead", joinAnd(parts))
}

func plural(n int, kind string) string {
	if n == 1 {
		return kind
	}
	return kind + "s"
}

// joinAnd joins "a", "b", "c" as "a, b and c".
func joinAnd(parts []string) string {
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

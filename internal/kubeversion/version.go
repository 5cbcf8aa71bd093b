// Package kubeversion names the Kubernetes release a file scan targets, and holds what
// Moat knows of each supported release that is not in the user's files: the API
// versions it serves (for Helm's .Capabilities) and its bootstrap RBAC roles and
// bindings. A live scan reads both from the cluster instead.
package kubeversion

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/moat-dev/moat/internal/apiversion"
)

// Version is a Kubernetes release, 1.Minor.Patch.
type Version struct {
	Major, Minor, Patch int
}

// Default is the release a file scan targets unless --kube-version says otherwise: the
// release of the k8s.io/api module Moat is built with.
var Default = Version{Major: 1, Minor: apiversion.LatestMinor}

// Parse reads "1.N", "v1.N" or "v1.N.P" (what helm template --kube-version accepts).
func Parse(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	parts := strings.Split(t, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("kube version %q: want 1.N or v1.N.P", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || len(p) > 4 {
			return Version{}, fmt.Errorf("kube version %q: %q is not a number", s, p)
		}
		n[i] = v
	}
	v := Version{n[0], n[1], n[2]}
	if v.Major != 1 {
		return Version{}, fmt.Errorf("kube version %q: only 1.x releases exist", s)
	}
	return v, nil
}

// String is "v1.N.P", as Helm's .Capabilities.KubeVersion.Version prints it.
func (v Version) String() string { return fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch) }

// MinorString is "1.N".
func (v Version) MinorString() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

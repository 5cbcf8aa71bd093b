package kubeversion

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/moat-dev/moat/internal/inventory"
)

// The API versions a release serves are what Helm's .Capabilities.APIVersions holds
// when helm installs into a cluster of that release: every group/version the API
// server's discovery lists ("apps/v1", core "v1") and every group/version/Kind of its
// resources ("apps/v1/Deployment", "v1/Pod"). data/<1.N>/api-versions.txt holds that
// list for the releases Moat has it for, one entry a line, sorted, '#' comments
// allowed.
//
// For another release the nearest file is adjusted by the API lifecycle tags of
// k8s.io/api (+k8s:prerelease-lifecycle-gen: the release that introduced each kind at
// each version, and the one that stopped serving it; kube-apiserver reads the same
// tags to stop serving a version, and internal/apiversion's table is checked against
// them): a kind whose tags say it was served at one release and not at the other is
// added or dropped, and a group/version goes with its last kind. Everything the tags
// do not tell stays as the file has it. internal/apiversion's table has the same
// source but cannot be read from here (it is unexported, in a rule package that
// imports the inventory, which imports this package's hook).
//
// This is an approximation in two ways: a kind k8s.io/api no longer carries
// (autoscaling/v2beta1 and v2beta2, whose packages the module dropped) is not added
// back for old releases, and a beta introduced since 1.24, off by default in
// kube-apiserver, is taken as not served (flowcontrol.apiserver.k8s.io/v1beta3, on by
// default in 1.26 to 1.31, is the one known exception).

//go:embed data
var data embed.FS

// dataMinors are the minor releases data/ has a file for, ascending.
var dataMinors = sync.OnceValue(func() []int {
	var minors []int
	entries, _ := fs.ReadDir(data, "data")
	for _, e := range entries {
		var major, minor int
		if _, err := fmt.Sscanf(e.Name(), "%d.%d", &major, &minor); err == nil && major == 1 {
			if _, err := fs.Stat(data, path.Join("data", e.Name(), "api-versions.txt")); err == nil {
				minors = append(minors, minor)
			}
		}
	}
	slices.Sort(minors)
	return minors
})

// APIVersions returns every API version release v serves, sorted, in the shape of
// Helm's capabilities: "group/version", "v1", "group/version/Kind", "v1/Kind".
func APIVersions(v Version) []string {
	minors := dataMinors()
	if len(minors) == 0 {
		return nil
	}
	from := nearest(minors, v.Minor)
	set := readAPIVersions(from)
	if from != v.Minor {
		set = adjust(set, from, v.Minor, lifecycles())
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// nearest is the minor of minors closest to m; the later one on a tie.
func nearest(minors []int, m int) int {
	best := minors[0]
	for _, x := range minors[1:] {
		if abs(x-m) <= abs(best-m) {
			best = x
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// readAPIVersions reads data/1.<minor>/api-versions.txt.
func readAPIVersions(minor int) map[string]bool {
	set := map[string]bool{}
	f, err := data.Open(fmt.Sprintf("data/1.%d/api-versions.txt", minor))
	if err != nil {
		return set
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			set[line] = true
		}
	}
	return set
}

// lifecycle is what the tags of k8s.io/api say of one kind at one version: the minor
// releases that introduced it and stopped serving it (0: not planned).
type lifecycle struct {
	introduced, removed int
}

// servedAt reports whether kube-apiserver 1.m serves the kind by default.
func (l lifecycle) servedAt(m int, version string) bool {
	if l.introduced > m || l.removed != 0 && l.removed <= m {
		return false
	}
	switch {
	case strings.Contains(version, "alpha"):
		return false // alpha versions are off by default
	case strings.Contains(version, "beta"):
		return l.introduced < 24 // betas since 1.24 are off by default (KEP-3136)
	}
	return true
}

// lifecycles reads the lifecycle tags of every kind in client-go's scheme.
var lifecycles = sync.OnceValue(func() map[schema.GroupVersionKind]lifecycle {
	out := map[schema.GroupVersionKind]lifecycle{}
	for gvk, t := range scheme.Scheme.AllKnownTypes() {
		if strings.HasSuffix(gvk.Kind, "List") {
			continue // discovery lists resources, not their lists
		}
		obj := reflect.New(t).Interface()
		in, ok := obj.(interface{ APILifecycleIntroduced() (int, int) })
		if !ok {
			continue
		}
		var l lifecycle
		_, l.introduced = in.APILifecycleIntroduced()
		if r, ok := obj.(interface{ APILifecycleRemoved() (int, int) }); ok {
			_, l.removed = r.APILifecycleRemoved()
		}
		out[gvk] = l
	}
	return out
})

// adjust turns the set of release 1.from into that of release 1.to: kinds whose
// lifecycle says they were served at one and not the other are added or dropped, and
// group/versions follow their kinds.
func adjust(set map[string]bool, from, to int, tags map[schema.GroupVersionKind]lifecycle) map[string]bool {
	out := make(map[string]bool, len(set))
	for s := range set {
		out[s] = true
	}
	touched := map[string]bool{} // group/versions that lost or gained a kind
	for gvk, l := range tags {
		then, now := l.servedAt(from, gvk.Version), l.servedAt(to, gvk.Version)
		if then == now {
			continue
		}
		gv := gvk.GroupVersion().String()
		touched[gv] = true
		if now {
			out[gv+"/"+gvk.Kind] = true
		} else {
			delete(out, gv+"/"+gvk.Kind)
		}
	}
	for gv := range touched {
		out[gv] = hasKind(out, gv)
		if !out[gv] {
			delete(out, gv)
		}
	}
	return out
}

// hasKind reports whether set holds a kind of group/version gv.
func hasKind(set map[string]bool, gv string) bool {
	for s := range set {
		if k, ok := strings.CutPrefix(s, gv+"/"); ok && !strings.Contains(k, "/") {
			return true
		}
	}
	return false
}

// capabilities is what charts see for a --kube-version: the release, as "v1.N.P",
// and the API versions it serves. The release is this package's Default when
// kubeVersion is empty.
func capabilities(kubeVersion string) (string, []string, error) {
	v := Default
	if kubeVersion != "" {
		var err error
		if v, err = Parse(kubeVersion); err != nil {
			return "", nil, err
		}
	}
	return v.String(), APIVersions(v), nil
}

// The inventory renders charts but cannot import this package (its rule packages
// import the inventory), so it is handed the function.
func init() { inventory.ServedAPIVersions = capabilities }

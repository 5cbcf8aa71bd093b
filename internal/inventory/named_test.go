package inventory

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestFindAsScan checks the indexed Find against a scan of the kind, on inventories
// with redefinitions, objects in several groups, generateName and -n's reindex.
func TestFindAsScan(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for round := range 20 {
		var b strings.Builder
		for i := range 60 {
			apiVersion := []string{"v1", "example.com/v1"}[r.IntN(2)]
			kind := []string{"ServiceAccount", "Service", "ConfigMap"}[r.IntN(3)]
			ns := []string{"", "default", "a", "b"}[r.IntN(4)]
			meta := fmt.Sprintf("  name: n%d\n", r.IntN(4))
			if r.IntN(8) == 0 {
				meta = "  generateName: g-\n"
			}
			if ns != "" {
				meta += "  namespace: " + ns + "\n"
			}
			fmt.Fprintf(&b, "apiVersion: %s\nkind: %s\nmetadata:\n%s---\n", apiVersion, kind, meta)
			_ = i
		}
		objs, errs := Decode(strings.NewReader(b.String()), "f.yaml")
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		inv := NewInventory(objs[:30])
		inv.Find("Service", "a", "n1") // build an index, then add: Add must drop it
		inv.Add(objs[30:]...)
		if round%2 == 1 {
			for _, o := range inv.Objects {
				if o.Meta.GetNamespace() == "" {
					o.Meta.SetNamespace("b")
				}
			}
			inv.Find("ServiceAccount", "b", "n2")
			inv.reindex()
		}
		for _, kind := range []string{"ServiceAccount", "Service", "ConfigMap", "Pod"} {
			for _, ns := range []string{"", "default", "a", "b"} {
				for _, name := range []string{"n0", "n1", "n2", "n3", "g-*", "x"} {
					var want []*Object
					for _, o := range inv.Kind(kind) {
						if o.Name() == name && o.EffectiveNamespace() == ns {
							want = append(want, o)
						}
					}
					if got := inv.Named(kind, ns, name); !slices.Equal(got, want) {
						t.Fatalf("Named(%s, %q, %s) = %d objects, want %d", kind, ns, name, len(got), len(want))
					}
					var first *Object
					if len(want) > 0 {
						first = want[0]
					}
					if got := inv.Find(kind, ns, name); got != first {
						t.Fatalf("Find(%s, %q, %s) differs from a scan", kind, ns, name)
					}
				}
			}
		}
	}
}

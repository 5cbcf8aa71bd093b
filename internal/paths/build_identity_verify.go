package paths

import (
	"slices"

	rbacpaths "github.com/moat-dev/moat/internal/rbac/paths"

	"github.com/moat-dev/moat/internal/inventory"
)

// verifyBindingFixes keeps a binding's fix on an RBAC edge only if removing that binding
// really removes the edge. Package rbac/paths gives each subject's shortest path and
// the first binding of each step; another binding, or another way, may grant the same
// power, and a choke point would then claim a cut it does not make. Each fix is checked
// by finding the paths again without its binding: one search of the RBAC graph per
// binding that is a fix.
func (b *builder) verifyBindingFixes(order []*rbacEdge) {
	byFix := map[*Fix][]*rbacEdge{}
	var fixes []*Fix
	for _, e := range order {
		if e.mixed {
			continue
		}
		for _, f := range e.fixes {
			if byFix[f] == nil {
				fixes = append(fixes, f)
			}
			byFix[f] = append(byFix[f], e)
		}
	}
	for _, f := range fixes {
		if f.Resource == nil || b.ctx.Err() != nil {
			continue
		}
		without := b.inventoryWithout(f)
		still := map[[2]string]bool{}
		for _, p := range rbacpaths.Find(rbacpaths.FromInventory(without)) {
			for _, seg := range b.segments(p.Steps) {
				still[[2]string{seg.from, seg.to}] = true
			}
		}
		for _, e := range byFix[f] {
			if still[[2]string{e.from, e.to}] {
				e.fixes = slices.DeleteFunc(slices.Clone(e.fixes), func(x *Fix) bool { return x == f })
			}
		}
	}
}

// inventoryWithout is the inventory without the object a fix removes.
func (b *builder) inventoryWithout(f *Fix) *inventory.Inventory {
	objs := make([]*inventory.Object, 0, len(b.inv.Objects))
	for _, o := range b.inv.Objects {
		if o.Ref() != *f.Resource {
			objs = append(objs, o)
		}
	}
	out := inventory.NewInventory(objs)
	out.Builtin = b.inv.Builtin
	return out
}

package node

import (
	"errors"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// Inventory makes the objects node rules check: one per component found, named after
// the node. Load's warnings become the inventory's.
func (h *Host) Inventory() *inventory.Inventory {
	objs := make([]*inventory.Object, 0, len(h.Components))
	for _, c := range h.Components {
		c.Name = h.Name
		var src *finding.Source
		if c.Origin.File != "" {
			s := c.Origin
			src = &s
		}
		objs = append(objs, inventory.New(c, c.GVK(), src))
	}
	inv := inventory.NewInventory(objs)
	inv.Warnings = append(inv.Warnings, h.Warnings...)
	for _, c := range h.Components {
		if c.Kubelet != nil {
			// The kubelet would not start with these; its configuration checks are
			// skipped rather than judged on defaults it does not run with.
			for _, e := range c.Kubelet.Errors {
				inv.Errors = append(inv.Errors, errors.New("kubelet: "+e+" (its configuration is not checked)"))
			}
		}
	}
	return inv
}

// componentOfObject returns the component an object stands for, if it is one of kind.
func componentOfObject(o *inventory.Object, kind string) (*Component, bool) {
	c, ok := o.Obj.(*Component)
	if !ok || c.Kind != kind {
		return nil, false
	}
	return c, true
}

// componentRule makes a rule that checks one component kind.
func componentRule(kind string, m rule.Meta, check func(c *Component) []rule.Result) *rule.Rule {
	m.Kinds = []string{ObjectKind(kind)}
	return &rule.Rule{
		Meta: m,
		Object: func(_ *rule.Context, o *inventory.Object) []rule.Result {
			c, ok := componentOfObject(o, kind)
			if !ok || (!c.Host.FilesExamined() && readsFiles(m.ID)) || (c.ArgsUnknown && readsArgs(m.ID)) {
				return nil
			}
			return check(c)
		},
		CEL: &rule.CEL{Unexportable: "reads a node's processes and files, not an API object"},
	}
}

// Rules are the registered rules that check node components.
func Rules() []*rule.Rule {
	var out []*rule.Rule
	for _, r := range rule.All() {
		for _, k := range r.Kinds {
			if _, ok := kindComponents[k]; ok {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

var kindComponents = func() map[string]string {
	m := map[string]string{}
	for c, k := range objectKinds {
		m[k] = c
	}
	return m
}()

// readsFiles says whether a rule judges files (modes, owners, certificates, the
// content of encryption and audit configuration): such rules do not run on components
// read through the API, whose files Moat cannot see.
func readsFiles(id string) bool {
	if strings.HasPrefix(id, "node/") {
		return true
	}
	switch id {
	case "apiserver/encryption-provider-config", "apiserver/encryption-providers", "apiserver/encryption-config-permissions",
		"apiserver/audit-policy", "apiserver/audit-policy-coverage", "etcd/unique-ca":
		return true
	}
	return false
}

// manualIDs are the rules that list a manual review: they read nothing of the component.
var manualIDs = map[string]bool{}

// readsArgs says whether a rule judges the component's command line (its flags, or
// files its flags name): such rules do not run on a component whose command line
// cannot be seen (k3s). File rules fall back on the layout's paths; the kubelet's
// configuration rules judge the configuration, which /configz gives without flags.
func readsArgs(id string) bool {
	return !strings.HasPrefix(id, "node/") && !strings.HasPrefix(id, "kubelet/") && !manualIDs[id]
}

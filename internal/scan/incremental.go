package scan

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/moat-dev/moat/internal/engine"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// Incremental evaluates an inventory that changes a little at a time — the operator's
// view of a cluster — re-running only the checks a change can affect, and gives the
// Result Evaluate gives on the same inventory (TestIncrementalMatchesEvaluate).
//
// What a change can affect:
//   - an object check reads its object and, in the object's namespace, the objects it
//     refers to (its ServiceAccount, the LimitRanges): the object findings are kept per
//     namespace and a namespace in which anything changed is evaluated again whole
//     (the cluster-scoped objects are the namespace "");
//   - an inventory check reads across namespaces: it runs again when a kind it reads
//     changed (inventoryReads).
//
// Checks that read the clock (an exception's expiry) see it when they run: a periodic
// full evaluation (Change{All: true}) brings them up to date.
type Incremental struct {
	e *Evaluator

	mu          sync.Mutex
	primed      bool
	byNamespace map[string]part // object checks' findings, by the objects' namespace
	byRule      map[string]part // inventory checks' findings, by rule ID
}

type part struct {
	findings  []finding.Finding
	errs      []error // failed rules
	templates []error // pod templates that could not be read
}

// Change says what changed in the inventory since the last evaluation.
type Change struct {
	// All evaluates everything again: the first evaluation, a periodic resync.
	All bool
	// Namespaces are the namespaces where an object was added, changed or removed; ""
	// for a cluster-scoped object. A Namespace object changes both "" and its own name.
	Namespaces map[string]bool
	// Kinds are the kinds of the objects added, changed or removed.
	Kinds map[string]bool
}

// Empty says nothing changed.
func (c Change) Empty() bool { return !c.All && len(c.Namespaces) == 0 && len(c.Kinds) == 0 }

// Add records that an object of kind in namespace ns (empty when cluster-scoped) changed.
func (c *Change) Add(kind, ns, name string) {
	if c.Namespaces == nil {
		c.Namespaces, c.Kinds = map[string]bool{}, map[string]bool{}
	}
	c.Kinds[kind] = true
	c.Namespaces[ns] = true
	if kind == "Namespace" {
		c.Namespaces[name] = true
	}
}

// Merge adds what other changed to c.
func (c *Change) Merge(other Change) {
	c.All = c.All || other.All
	if c.Namespaces == nil {
		c.Namespaces, c.Kinds = map[string]bool{}, map[string]bool{}
	}
	maps.Copy(c.Namespaces, other.Namespaces)
	maps.Copy(c.Kinds, other.Kinds)
}

// Incremental starts an incremental evaluation; its first Evaluate evaluates everything.
func (e *Evaluator) Incremental() *Incremental {
	return &Incremental{e: e}
}

// Evaluate evaluates inv, of which only what ch names changed since the last call.
// A call that was stopped (ctx ended) leaves the next one to evaluate everything.
func (s *Incremental) Evaluate(ctx context.Context, inv *inventory.Inventory, ch Change) *Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.e
	now := e.opt.Now()
	opt := e.ruleOptions(now)
	all := ch.All || !s.primed
	if all {
		s.byNamespace, s.byRule = map[string]part{}, map[string]part{}
	}

	// The object checks of every namespace that changed.
	present := map[string]bool{}
	var objs []*inventory.Object
	for _, o := range inv.Objects {
		ns := o.Meta.GetNamespace()
		present[ns] = true
		if all || ch.Namespaces[ns] {
			objs = append(objs, o)
		}
	}
	for ns := range s.byNamespace {
		if !present[ns] {
			delete(s.byNamespace, ns)
		}
	}
	fresh := map[string]part{}
	for ns := range present {
		if all || ch.Namespaces[ns] {
			fresh[ns] = part{}
		}
	}
	for _, err := range PrepareTemplates(objs, e.opt.Config) {
		ns := namespaceOfError(err)
		p := fresh[ns]
		p.templates = append(p.templates, err)
		fresh[ns] = p
	}
	fs, errs := engine.RunSome(ctx, inv, objs, e.objectRules, nil, opt)
	stopped := ctx.Err() != nil
	for _, f := range fs {
		p := fresh[f.Resource.Namespace]
		p.findings = append(p.findings, f)
		fresh[f.Resource.Namespace] = p
	}
	for _, err := range errs {
		ns := namespaceOfError(err)
		p := fresh[ns]
		p.errs = append(p.errs, err)
		fresh[ns] = p
	}
	for ns, p := range fresh {
		s.byNamespace[ns] = p
	}

	// The inventory checks that read a kind that changed.
	var rerun []*rule.Rule
	for _, r := range e.rules {
		if r.Inventory != nil && (all || readsAny(r, ch.Kinds)) {
			rerun = append(rerun, r)
			s.byRule[r.ID] = part{}
		}
	}
	fs, errs = engine.RunSome(ctx, inv, nil, nil, rerun, opt)
	for _, f := range fs {
		p := s.byRule[f.RuleID]
		p.findings = append(p.findings, f)
		s.byRule[f.RuleID] = p
	}
	for _, err := range errs {
		var re *engine.RuleError
		if errors.As(err, &re) {
			p := s.byRule[re.Rule]
			p.errs = append(p.errs, err)
			s.byRule[re.Rule] = p
		}
	}
	s.primed = !stopped && ctx.Err() == nil

	var out []finding.Finding
	var templateErrs, ruleErrs []error
	for _, p := range s.byNamespace {
		out = append(out, p.findings...)
		templateErrs = append(templateErrs, p.templates...)
		ruleErrs = append(ruleErrs, p.errs...)
	}
	for _, p := range s.byRule {
		out = append(out, p.findings...)
		ruleErrs = append(ruleErrs, p.errs...)
	}
	if err := ctx.Err(); err != nil {
		ruleErrs = append(ruleErrs, err)
	}
	finding.Sort(out)
	byText := func(a, b error) int { return strings.Compare(a.Error(), b.Error()) }
	slices.SortFunc(templateErrs, byText)
	slices.SortFunc(ruleErrs, byText)
	return e.result(e.newResult(inv, now, templateErrs), len(inv.Objects), e.opt.Config.Suppressor(inv, now, true), out, ruleErrs)
}

// namespaceOfError is the namespace of the object a rule or template error is about.
func namespaceOfError(err error) string {
	var re *engine.RuleError
	if errors.As(err, &re) {
		return re.Resource.Namespace
	}
	var te *podspec.TemplateError
	if errors.As(err, &te) {
		return te.Object.Namespace
	}
	return ""
}

// inventoryReads are the kinds the inventory checks of each rule domain read besides
// the kinds they report on (rule.Meta.Kinds). A domain not listed here is evaluated
// again on every change.
var inventoryReads = map[string][]string{
	"rbac": {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ServiceAccount", "Namespace"},
	"netpol": append([]string{"Namespace", "Service", "NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy",
		"GlobalNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"}, podspec.Kinds...),
	"exposure": append([]string{"Namespace", "Service", "Ingress", "Gateway", "HTTPRoute"}, podspec.Kinds...),
	"pod":      append([]string{"Namespace", "ServiceAccount"}, podspec.Kinds...),
}

// readsAny says whether inventory rule r reads one of the kinds.
func readsAny(r *rule.Rule, kinds map[string]bool) bool {
	if len(kinds) == 0 {
		return false
	}
	domain, _, _ := strings.Cut(r.ID, "/")
	reads, known := inventoryReads[domain]
	if !known || slices.Contains(r.Kinds, "*") {
		return true
	}
	return slices.ContainsFunc(reads, func(k string) bool { return kinds[k] }) ||
		slices.ContainsFunc(r.Kinds, func(k string) bool { return kinds[k] })
}

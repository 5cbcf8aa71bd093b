// Package engine runs rules over an inventory and turns their results into findings.
// It owns the parallelism, the deadline and the recovery from a failing rule; rules
// stay pure functions.
package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// RuleError is a rule that panicked on an object (or on the inventory): a bug in the
// rule, reported as an error of the scan while the other rules go on.
type RuleError struct {
	Rule     string
	Resource finding.Resource // zero for an inventory check that failed as a whole
	Panic    any
	Stack    []byte
}

func (e *RuleError) Error() string {
	if e.Resource.Kind == "" {
		return fmt.Sprintf("rule %s failed: %v (a bug in the rule: please report it)", e.Rule, e.Panic)
	}
	return fmt.Sprintf("rule %s failed on %s: %v (a bug in the rule: please report it)", e.Rule, e.Resource, e.Panic)
}

// Run evaluates rules over inv. Object checks run over all objects with one worker per
// CPU; inventory checks run once each. Findings come back sorted. A rule that panics
// is an error naming the rule and the object; the rest still run. When ctx ends, the
// workers stop between objects and rules and ctx's error is returned among the errors.
func Run(ctx context.Context, inv *inventory.Inventory, rules []*rule.Rule, opt rule.Options) ([]finding.Finding, []error) {
	var objectRules, inventoryRules []*rule.Rule
	for _, r := range rules {
		if r.Object != nil {
			objectRules = append(objectRules, r)
		}
		if r.Inventory != nil {
			inventoryRules = append(inventoryRules, r)
		}
	}
	return RunSome(ctx, inv, inv.Objects, objectRules, inventoryRules, opt)
}

// RunSome is Run on a part of inv: the object checks of objectRules on objs (objects
// of inv) and the inventory checks of inventoryRules, every check seeing the whole of
// inv, as in Run. The operator re-evaluates with it only what a change can affect.
func RunSome(ctx context.Context, inv *inventory.Inventory, objs []*inventory.Object, objectRules, inventoryRules []*rule.Rule, opt rule.Options) ([]finding.Finding, []error) {
	rctx := rule.NewContext(ctx, opt, inv)
	objectRules = slices.DeleteFunc(slices.Clone(objectRules), func(r *rule.Rule) bool { return r.Object == nil })
	inventoryRules = slices.DeleteFunc(slices.Clone(inventoryRules), func(r *rule.Rule) bool { return r.Inventory == nil })

	workers := runtime.GOMAXPROCS(0)
	slots := make([]slot, workers+len(inventoryRules))
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(s *slot) {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					continue // drain: the feeder stops soon
				}
				s.object(rctx, objectRules, objs[i])
			}
		}(&slots[w])
	}
	for i, r := range inventoryRules {
		wg.Add(1)
		go func(s *slot, r *rule.Rule) {
			defer wg.Done()
			s.inventory(rctx, r)
		}(&slots[workers+i], r)
	}
feed:
	for i := range objs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()

	var errs []error
	var parts [][]finding.Finding
	for _, s := range slots {
		errs = append(errs, s.errs...)
		parts = append(parts, s.found...)
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, fmt.Errorf("evaluation stopped before every rule ran: %w", err))
	}
	return finding.Gather(parts), errs
}

// ErrTooManyFindings is the error of a Check that stopped at its limit of findings.
var ErrTooManyFindings = errors.New("too many findings on one object")

// Check runs only the object checks of rules on one object: what admission control
// does. It recovers from failing rules and stops at ctx's end like Run. With limit > 0
// it stops once the object has more findings than that (a pod of 60,000 containers has
// 600,000, and their messages cost a gigabyte): the object is not judged, and the error
// wraps ErrTooManyFindings.
func Check(ctx context.Context, o *inventory.Object, rules []*rule.Rule, opt rule.Options, limit int) ([]finding.Finding, []error) {
	// One chunk holds the findings of nearly every object (a privileged pod has about
	// twenty), so that they are returned without the copy of several chunks.
	s := slot{limit: limit, found: chunks{make([]finding.Finding, 0, checkChunk)}}
	s.object(rule.NewContext(ctx, opt, inventory.NewInventory([]*inventory.Object{o})), rules, o)
	if s.overLimit() {
		return nil, append(s.errs, fmt.Errorf("%w: more than %d, evaluation stopped (moat scan lists them all)", ErrTooManyFindings, limit))
	}
	var out []finding.Finding
	if len(s.found) == 1 {
		out = s.found[0] // the usual case: no copy
	} else {
		out = make([]finding.Finding, 0, s.found.len())
		for _, fs := range s.found {
			out = append(out, fs...)
		}
	}
	if err := ctx.Err(); err != nil {
		// The findings are incomplete and will not be used: do not spend the time
		// sorting them (a pod of 60,000 containers has 600,000).
		return out, append(s.errs, fmt.Errorf("evaluation stopped before every rule ran: %w", err))
	}
	finding.Sort(out)
	return out, s.errs
}

// slot is what one worker collects: findings and the rules that failed.
type slot struct {
	found   chunks
	errs    []error
	limit   int // most findings kept before the evaluation stops; 0: no limit
	sources sources
}

func (s *slot) overLimit() bool { return s.limit > 0 && s.found.len() > s.limit }

// object runs the object checks on o, each behind its own recover.
func (s *slot) object(c *rule.Context, rules []*rule.Rule, o *inventory.Object) {
	for _, r := range rules {
		if r.Object == nil {
			continue
		}
		if c.Err() != nil || s.overLimit() {
			return
		}
		s.guard(r, o, func() {
			for _, res := range r.Object(c, o) {
				s.found.add(s.toFinding(r, o, res))
			}
		})
	}
}

// inventory runs one inventory check.
func (s *slot) inventory(c *rule.Context, r *rule.Rule) {
	s.guard(r, nil, func() {
		for _, res := range r.Inventory(c) {
			if res.Object == nil {
				continue // a rule bug; the meta-tests catch it
			}
			s.found.add(s.toFinding(r, res.Object, res))
		}
	})
}

// guard runs check and turns a panic into a RuleError. Findings the check made before
// it panicked are kept: they are true, only incomplete.
func (s *slot) guard(r *rule.Rule, o *inventory.Object, check func()) {
	defer func() {
		if p := recover(); p != nil {
			e := &RuleError{Rule: r.ID, Panic: p, Stack: debug.Stack()}
			if o != nil {
				e.Resource = o.Ref()
			}
			s.errs = append(s.errs, e)
		}
	}()
	check()
}

// chunks collects findings in blocks that double up to a fixed size: a large scan makes
// tens of thousands of findings, and growing one slice of them copied each finding
// several times over (a profile showed it as the largest single cost of the engine);
// a review of one object makes a dozen, and a first block of 512 cost it 118 KB.
type chunks [][]finding.Finding

const firstChunk, chunkSize = 16, 512

// checkChunk is the first chunk of Check.
const checkChunk = 32

func (c *chunks) add(f finding.Finding) {
	if n := len(*c); n == 0 || len((*c)[n-1]) == cap((*c)[n-1]) {
		size := firstChunk
		if n > 0 {
			size = min(2*cap((*c)[n-1]), chunkSize)
		}
		*c = append(*c, make([]finding.Finding, 0, size))
	}
	last := &(*c)[len(*c)-1]
	*last = append(*last, f)
}

func (c chunks) len() int {
	n := 0
	for _, fs := range c {
		n += len(fs)
	}
	return n
}

func (s *slot) toFinding(r *rule.Rule, o *inventory.Object, res rule.Result) finding.Finding {
	if res.Object != nil {
		o = res.Object
	}
	f := finding.Finding{
		RuleID:      r.ID,
		Severity:    r.Severity,
		Title:       r.Title,
		Message:     res.Message,
		Resource:    o.Ref(),
		Path:        res.Path,
		Source:      s.sources.at(o, res.Path),
		Frameworks:  r.Frameworks,
		Remediation: r.Remediation,
	}
	if res.Severity != nil {
		f.Severity = *res.Severity
	}
	if res.PSS != "" {
		f.Frameworks.PSS = res.PSS
	}
	if res.Source != nil {
		f.Source = res.Source
	}
	return f
}

// sources hands out one *finding.Source for the findings of one object that point at
// the same line: an object has about 8 findings in a dense scan and they name a few
// fields, so a Source each was most of the memory findings hold beyond themselves.
// It remembers the last few sources of the last object it was asked about. Findings
// share them read-only, as they share a rule's Title.
type sources struct {
	obj  *inventory.Object
	n    int // entries used; the next one written is n % len(last)
	last [8]*finding.Source
}

func (c *sources) at(o *inventory.Object, path string) *finding.Source {
	v, ok := o.SourceValueAt(path)
	if !ok {
		return nil
	}
	if c.obj != o {
		c.obj, c.n = o, 0
	}
	for _, p := range c.last[:min(c.n, len(c.last))] {
		if *p == v {
			return p
		}
	}
	p := &v
	c.last[c.n%len(c.last)] = p
	c.n++
	return p
}

// Package engine runs rules over an inventory and turns their results into findings.
// It owns the parallelism, the deadline and the recovery from a failing rule; rules
// stay pure functions.
package engine

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
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
	rctx := rule.NewContext(ctx, opt, inv)
	var objectRules, inventoryRules []*rule.Rule
	for _, r := range rules {
		if r.Object != nil {
			objectRules = append(objectRules, r)
		}
		if r.Inventory != nil {
			inventoryRules = append(inventoryRules, r)
		}
	}

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
				s.object(rctx, objectRules, inv.Objects[i])
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
	for i := range inv.Objects {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()

	n := 0
	var errs []error
	for _, s := range slots {
		n += s.found.len()
		errs = append(errs, s.errs...)
	}
	out := make([]finding.Finding, 0, n)
	for _, s := range slots {
		for _, fs := range s.found {
			out = append(out, fs...)
		}
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, fmt.Errorf("evaluation stopped before every rule ran: %w", err))
	}
	finding.Sort(out)
	return out, errs
}

// Check runs only the object checks of rules on one object: what admission control
// does. It recovers from failing rules and stops at ctx's end like Run.
func Check(ctx context.Context, o *inventory.Object, rules []*rule.Rule, opt rule.Options) ([]finding.Finding, []error) {
	var s slot
	s.object(rule.NewContext(ctx, opt, inventory.NewInventory([]*inventory.Object{o})), rules, o)
	var out []finding.Finding
	for _, fs := range s.found {
		out = append(out, fs...)
	}
	if err := ctx.Err(); err != nil {
		s.errs = append(s.errs, fmt.Errorf("evaluation stopped before every rule ran: %w", err))
	}
	finding.Sort(out)
	return out, s.errs
}

// slot is what one worker collects: findings and the rules that failed.
type slot struct {
	found chunks
	errs  []error
}

// object runs the object checks on o, each behind its own recover.
func (s *slot) object(c *rule.Context, rules []*rule.Rule, o *inventory.Object) {
	for _, r := range rules {
		if r.Object == nil {
			continue
		}
		if c.Err() != nil {
			return
		}
		s.guard(r, o, func() {
			for _, res := range r.Object(c, o) {
				s.found.add(toFinding(r, o, res))
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
			s.found.add(toFinding(r, res.Object, res))
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

// chunks collects findings in fixed-size blocks: a large scan makes tens of thousands
// of findings, and growing one slice of them copied each finding several times over
// (a profile showed it as the largest single cost of the engine).
type chunks [][]finding.Finding

const chunkSize = 512

func (c *chunks) add(f finding.Finding) {
	if len(*c) == 0 || len((*c)[len(*c)-1]) == chunkSize {
		*c = append(*c, make([]finding.Finding, 0, chunkSize))
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

func toFinding(r *rule.Rule, o *inventory.Object, res rule.Result) finding.Finding {
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
		Source:      o.SourceAt(res.Path),
		Frameworks:  r.Frameworks,
		Remediation: r.Remediation,
	}
	if res.Severity != nil {
		f.Severity = *res.Severity
	}
	if res.PSS != "" {
		f.Frameworks.PSS = res.PSS
	}
	return f
}

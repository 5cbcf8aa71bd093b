// Package engine runs rules over an inventory and turns their results into findings.
// It owns the parallelism; rules stay pure functions.
package engine

import (
	"runtime"
	"sync"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// Run evaluates rules over inv. Object checks run over all objects with one worker per
// CPU; inventory checks run once each. Findings come back sorted.
func Run(inv *inventory.Inventory, rules []*rule.Rule, opt rule.Options) []finding.Finding {
	ctx := &rule.Context{Options: opt, Inventory: inv}
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
	perWorker := make([]chunks, workers+len(inventoryRules))
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := range next {
				o := inv.Objects[i]
				for _, r := range objectRules {
					for _, res := range r.Object(ctx, o) {
						perWorker[w].add(toFinding(r, o, res))
					}
				}
			}
		}(w)
	}
	for i, r := range inventoryRules {
		wg.Add(1)
		go func(slot int, r *rule.Rule) {
			defer wg.Done()
			for _, res := range r.Inventory(ctx) {
				if res.Object == nil {
					continue // a rule bug; the meta-tests catch it
				}
				perWorker[slot].add(toFinding(r, res.Object, res))
			}
		}(workers+i, r)
	}
	for i := range inv.Objects {
		next <- i
	}
	close(next)
	wg.Wait()

	n := 0
	for _, c := range perWorker {
		n += c.len()
	}
	out := make([]finding.Finding, 0, n)
	for _, c := range perWorker {
		for _, fs := range c {
			out = append(out, fs...)
		}
	}
	finding.Sort(out)
	return out
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

// Check runs only the object checks of rules on one object: what admission control does.
func Check(o *inventory.Object, rules []*rule.Rule, opt rule.Options) []finding.Finding {
	ctx := &rule.Context{Options: opt, Inventory: inventory.NewInventory([]*inventory.Object{o})}
	var out []finding.Finding
	for _, r := range rules {
		if r.Object == nil {
			continue
		}
		for _, res := range r.Object(ctx, o) {
			out = append(out, toFinding(r, o, res))
		}
	}
	finding.Sort(out)
	return out
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

package scan

import (
	"context"
	"slices"
	"time"

	"github.com/moat-dev/moat/internal/engine"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/report"
	"github.com/moat-dev/moat/internal/rule"
)

// Options configure an Evaluator.
type Options struct {
	// Rules are the rules to run; nil means every registered rule.
	Rules []*rule.Rule
	// PSSVersion is the Pod Security Standards version, "v1.N" or "latest" (default).
	PSSVersion string
	// Config holds the exceptions; nil applies the inline ignore annotations only.
	Config *exceptions.Config
	// Now is the clock that expiry dates are compared with (default time.Now); it is
	// read once per evaluation.
	Now func() time.Time
	// ShowSuppressed keeps suppressed findings in the result.
	ShowSuppressed bool
	// ToolVersion is Moat's version, for reports that carry it.
	ToolVersion string
	// ObjectLimit, when set, bounds the findings EvaluateObject collects on one object:
	// past it the object is not judged (an error), so that no single object can make
	// the evaluation's memory grow without bound. Admission sets it.
	ObjectLimit int
	// Filter keeps only some findings (--severity, --rule, --skip-rule): rules it leaves
	// out do not run, and what it drops counts nowhere, exit code included.
	Filter Filter
}

// Filter selects findings by severity and rule.
type Filter struct {
	// MinSeverity drops findings below it; the zero value (info) keeps all.
	MinSeverity finding.Severity
	// Rules, when set, keeps only the rules whose IDs match one of these globs; Skip
	// drops the rules that match one of its globs.
	Rules, Skip []exceptions.Pattern
}

// keepsRule says whether the filter keeps a rule's findings.
func (f Filter) keepsRule(id string) bool {
	if len(f.Rules) > 0 && !slices.ContainsFunc(f.Rules, func(p exceptions.Pattern) bool { return p.Match(id) }) {
		return false
	}
	return !slices.ContainsFunc(f.Skip, func(p exceptions.Pattern) bool { return p.Match(id) })
}

func (f Filter) keeps(x finding.Finding) bool {
	return x.Severity >= f.MinSeverity && f.keepsRule(x.RuleID)
}

func (f Filter) active() bool {
	return f.MinSeverity > finding.Info || len(f.Rules) > 0 || len(f.Skip) > 0
}

// Evaluator runs rules, exceptions and ordering: the one evaluation of Moat. It is
// safe for concurrent use.
type Evaluator struct {
	opt         Options
	rules       []*rule.Rule
	objectRules []*rule.Rule
}

// NewEvaluator prepares an evaluation.
func NewEvaluator(opt Options) *Evaluator {
	if opt.Rules == nil {
		opt.Rules = rule.All()
	}
	if opt.PSSVersion == "" {
		opt.PSSVersion = "latest"
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	e := &Evaluator{opt: opt}
	for _, r := range opt.Rules {
		if !opt.Filter.keepsRule(r.ID) {
			continue
		}
		e.rules = append(e.rules, r)
		if r.Object != nil {
			e.objectRules = append(e.objectRules, r)
		}
	}
	return e
}

// Result is what one evaluation found: the report renderers show, from which the exit
// code follows.
type Result struct {
	report.Report
}

// Evaluate runs every rule over inv — object checks on each object, inventory checks on
// the whole — then the exceptions, and sorts. A rule that fails on an object, or a
// deadline that stops the evaluation, is an error of the result (exit code 2); the
// findings of the other rules are kept.
//
// Evaluate first decodes the pod templates of kinds outside the client-go scheme
// (PrepareTemplates): it writes inv's objects, so one inventory is evaluated by one
// goroutine at a time.
func (e *Evaluator) Evaluate(ctx context.Context, inv *inventory.Inventory) *Result {
	now := e.opt.Now()
	templateErrs := PrepareTemplates(inv.Objects, e.opt.Config)
	// What the result needs of inv is read before the rules run, so that inv is not
	// held while the findings are sorted and judged: its objects, most of the heap by
	// then, can be collected (a caller that drops its own reference lets them go).
	suppressor := e.opt.Config.Suppressor(inv, now, true)
	r, objects := e.newResult(inv, now, templateErrs), len(inv.Objects)
	fs, ruleErrs := engine.Run(ctx, inv, e.rules, e.ruleOptions(now))
	return e.result(r, objects, suppressor, fs, ruleErrs)
}

// newResult starts the Result of evaluating inv: all but its findings, summary and
// the rules' errors.
func (e *Evaluator) newResult(inv *inventory.Inventory, now time.Time, templateErrs []error) *Result {
	errs := make([]string, 0, len(inv.Errors)+len(templateErrs))
	for _, err := range inv.Errors {
		errs = append(errs, err.Error())
	}
	for _, err := range templateErrs {
		errs = append(errs, err.Error())
	}
	return &Result{Report: report.Report{
		Errors:      errs,
		Warnings:    append(slices.Clip(inv.Warnings), e.opt.Config.WarningList()...),
		Partial:     inv.Partial,
		Skipped:     skipped(inv.Skipped),
		Rules:       e.rules,
		ToolVersion: e.opt.ToolVersion,
		Time:        now,
	}}
}

// result adds to r the sorted findings fs, with the exceptions and the filter applied,
// the summary of the evaluation of that many objects, and the rules' errors.
func (e *Evaluator) result(r *Result, objects int, suppressor *exceptions.Suppressor, fs []finding.Finding, ruleErrs []error) *Result {
	sorted := len(fs) // the engine sorts its findings; Apply appends
	fs = suppressor.Apply(fs)
	if len(fs) != sorted {
		finding.Sort(fs)
	}
	if e.opt.Filter.active() {
		// Keeps the order.
		fs = slices.DeleteFunc(fs, func(f finding.Finding) bool { return !e.opt.Filter.keeps(f) })
	}
	for _, err := range ruleErrs {
		r.Errors = append(r.Errors, err.Error())
	}
	r.Summary = finding.Summarize(objects, fs, len(r.Errors))
	r.Summary.Skipped = len(r.Skipped)
	r.Findings = fs
	if !e.opt.ShowSuppressed {
		// Filtered in place: fs is this evaluation's own slice.
		r.Findings = slices.DeleteFunc(fs, func(f finding.Finding) bool { return f.Suppressed != nil })
	}
	return r
}

// EvaluateObject judges one object alone, as admission control does: the object checks
// of the rules, then the exceptions, sorted; suppressed findings are kept and marked.
// Findings about the config file itself (expired exceptions) are not about the object
// and are left out. inline says whether the object's own ignore annotations are
// honoured. The errors are failed rules, a deadline that stopped the evaluation, and a
// pod template that could not be decoded (the pod rules could not judge it): with any
// of them the object is not judged and no finding is returned.
func (e *Evaluator) EvaluateObject(ctx context.Context, o *inventory.Object, inline bool) ([]finding.Finding, []error) {
	now := e.opt.Now()
	if errs := PrepareTemplates([]*inventory.Object{o}, e.opt.Config); len(errs) > 0 {
		return nil, errs // a verdict without the pod rules would let the pod through unjudged
	}
	fs, errs := engine.Check(ctx, o, e.objectRules, e.ruleOptions(now), e.opt.ObjectLimit)
	if ctx.Err() != nil || len(errs) > 0 {
		return nil, errs // not judged: the caller refuses it
	}
	var inv *inventory.Inventory // only the inline annotations read it
	if inline {
		inv = inventory.NewInventory([]*inventory.Object{o})
	}
	out := e.opt.Config.Suppress(fs, inv, now, inline)
	if len(out) != len(fs) {
		finding.Sort(out) // findings about the annotations were appended; the engine sorted the rest
	}
	return out, errs
}

// PrepareTemplates decodes the pod templates of the objects whose kind keeps one where
// its Go type does not say (an Argo Rollout, an OpenShift DeploymentConfig, a custom
// resource the config file names; cfg may be nil), so that podspec.Of finds them.
// Commands that analyse an inventory without Evaluate (netpol, rbac paths) call it
// after loading. Each error names an object whose template could not be read.
func PrepareTemplates(objs []*inventory.Object, cfg *exceptions.Config) []error {
	return podspec.Prepare(objs, cfg.TemplatePaths())
}

func (e *Evaluator) ruleOptions(now time.Time) rule.Options {
	return rule.Options{PSSVersion: e.opt.PSSVersion, Now: now, Registries: e.opt.Config.Registries()}
}

func skipped(in []inventory.Skipped) []report.Skipped {
	if len(in) == 0 {
		return nil
	}
	out := make([]report.Skipped, len(in))
	for i, s := range in {
		out[i] = report.Skipped{Path: s.Path, Reason: s.Reason}
	}
	return out
}

// AddFindings merges into r findings made outside the evaluation — those of image
// scans — and the errors of making them: the config file's exceptions apply to them,
// the filter drops what it drops, and the order, the summary and the exit code follow.
func (e *Evaluator) AddFindings(r *Result, fs []finding.Finding, errs []string) {
	now := e.opt.Now()
	fs = e.opt.Config.Suppress(fs, nil, now, false)
	if e.opt.Filter.active() {
		fs = slices.DeleteFunc(fs, func(f finding.Finding) bool { return !e.opt.Filter.keeps(f) })
	}
	hiddenBefore := r.Summary.Suppressed
	for _, f := range r.Findings {
		if f.Suppressed != nil {
			hiddenBefore--
		}
	}
	if !e.opt.ShowSuppressed {
		for _, f := range fs {
			if f.Suppressed != nil {
				hiddenBefore++
			}
		}
		fs = slices.DeleteFunc(fs, func(f finding.Finding) bool { return f.Suppressed != nil })
	}
	r.Findings = append(r.Findings, fs...)
	finding.Sort(r.Findings)
	r.Errors = append(r.Errors, errs...)
	skipped := r.Summary.Skipped
	r.Summary = finding.Summarize(r.Summary.Objects, r.Findings, len(r.Errors))
	r.Summary.Suppressed += hiddenBefore
	r.Summary.Skipped = skipped
}

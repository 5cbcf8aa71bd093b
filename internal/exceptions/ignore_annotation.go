// Inline ignores: an object may carry
//
//	metadata:
//	  annotations:
//	    moat.dev/ignore: "pod/run-as-root, pod/host-path-*"
//	    moat.dev/ignore-reason: "legacy image, TICKET-42"
//
// to suppress findings of those rules (IDs or globs, separated by commas or spaces) on
// that object. For pod controllers it is the controller's own metadata that counts, not
// the pod template's. Without a reason the annotation suppresses nothing and the object
// gets a config/ignore-without-reason finding; entries that are bad globs or match no
// rule get a config/invalid-ignore finding.
package exceptions

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// The inline ignore annotations.
const (
	IgnoreAnnotation       = "moat.dev/ignore"
	IgnoreReasonAnnotation = "moat.dev/ignore-reason"
)

var ignoreWithoutReason = rule.Meta{
	ID:       "config/ignore-without-reason",
	Title:    "Ignore annotation without a reason",
	Severity: finding.Low,
	Description: `An object carries the annotation moat.dev/ignore but no moat.dev/ignore-reason (or an
empty one). An accepted risk needs its reason written next to it, so that reviewers and
later readers can judge it; without one the annotation suppresses nothing. The NSA/CISA
Kubernetes Hardening Guide asks that security configurations be reviewed periodically
(upgrading and application security practices), which takes a recorded reason.`,
	Remediation: "Add the annotation moat.dev/ignore-reason with why the findings are accepted (a ticket helps), or remove moat.dev/ignore and fix the findings.",
	Frameworks:  finding.Frameworks{NSA: "upgrading-and-application-security-practices"},
	Kinds:       []string{"*"},
}

var invalidIgnore = rule.Meta{
	ID:       "config/invalid-ignore",
	Title:    "Ignore annotation names no rule",
	Severity: finding.Low,
	Description: `The annotation moat.dev/ignore names an entry that is not a valid glob, or that matches
no rule Moat knows: most often a typo, or a rule that was retired. The entry suppresses
nothing, so the finding its author meant to accept is still reported, or the annotation
is stale. See the NSA/CISA Kubernetes Hardening Guide on reviewing security
configurations (upgrading and application security practices).`,
	Remediation: "Correct the entry to a rule ID listed by moat rules (or a glob over them), or remove it.",
	Frameworks:  finding.Frameworks{NSA: "upgrading-and-application-security-practices"},
	Kinds:       []string{"*"},
}

func init() {
	rule.RegisterMeta(ignoreWithoutReason)
	rule.RegisterMeta(invalidIgnore)
}

// ParseIgnore splits the value of moat.dev/ignore into patterns. Entries are separated
// by commas or white space; bad ones are returned apart with what is wrong with them.
func ParseIgnore(value string) (pats []Pattern, bad []string) {
	for _, s := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		p, err := CompileGlob(s, false)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		pats = append(pats, p)
	}
	return pats, bad
}

type ignore struct {
	patterns []Pattern
	reason   string
}

func (ig *ignore) covers(ruleID string) bool { return matchAny(ig.patterns, ruleID) }

// objectKey finds the object a finding is about: its reference and its file, since the
// same object may be written in two files.
type objectKey struct {
	res  finding.Resource
	file string
}

type ignoreIndex map[objectKey]*ignore

func (ix ignoreIndex) lookup(f *finding.Finding) *ignore {
	k := objectKey{res: f.Resource}
	if f.Source != nil {
		k.file = f.Source.File
	}
	return ix[k]
}

// inlineIgnores reads the ignore annotations of every object: the ignores that apply
// and the findings about annotations that are incomplete or name no rule.
func inlineIgnores(inv *inventory.Inventory, rules []*rule.Rule) (ignoreIndex, []finding.Finding) {
	ix := ignoreIndex{}
	var out []finding.Finding
	if inv == nil {
		return ix, nil
	}
	for _, o := range inv.Objects {
		ann := o.Meta.GetAnnotations()
		value, ok := ann[IgnoreAnnotation]
		if !ok {
			continue
		}
		pats, bad := ParseIgnore(value)
		for _, p := range pats {
			if !matchesAnyRule(p, rules) {
				bad = append(bad, fmt.Sprintf("%q matches no rule", p.Text))
			}
		}
		if len(bad) > 0 {
			out = append(out, metaFinding(invalidIgnore, o,
				fmt.Sprintf("annotation %s=%q: %s; those entries suppress nothing", IgnoreAnnotation, value, strings.Join(bad, "; "))))
		}
		if len(pats) == 0 {
			continue
		}
		reason := strings.TrimSpace(ann[IgnoreReasonAnnotation])
		if reason == "" {
			out = append(out, metaFinding(ignoreWithoutReason, o,
				fmt.Sprintf("annotation %s=%q has no %s: it suppresses nothing until a reason says why the findings are accepted", IgnoreAnnotation, value, IgnoreReasonAnnotation)))
			continue
		}
		k := objectKey{res: o.Ref()}
		if o.Source != nil {
			k.file = o.Source.File
		}
		ix[k] = &ignore{patterns: pats, reason: reason}
	}
	return ix, out
}

func metaFinding(m rule.Meta, o *inventory.Object, msg string) finding.Finding {
	const path = "metadata.annotations"
	return finding.Finding{
		RuleID:      m.ID,
		Severity:    m.Severity,
		Title:       m.Title,
		Message:     msg,
		Resource:    o.Ref(),
		Path:        path,
		Source:      o.SourceAt(path),
		Frameworks:  m.Frameworks,
		Remediation: m.Remediation,
	}
}

package exceptions

import (
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rule"
)

// Apply returns the findings with the suppressed ones marked, followed by the findings
// Moat makes about the exceptions and annotations themselves: what a scan reports. fs
// is not modified. now is what expiry dates are compared with. A nil Config applies the
// inline annotations only.
func (c *Config) Apply(fs []finding.Finding, inv *inventory.Inventory, now time.Time) []finding.Finding {
	return c.Suppressor(inv, now, true).Apply(fs)
}

// Suppress marks the suppressed findings of fs and appends the findings about the
// objects' ignore annotations; it leaves out the findings about the config file itself
// (Expired), which are not about any object. fs is not modified. With inline false the
// objects' own ignore annotations are not read at all: at admission the object under
// review may not exempt itself unless an administrator allowed it.
//
// Order of precedence: an inline annotation on the object suppresses first
// (Suppressed.Kind "annotation"), then the first active exception of the config that
// matches (Kind "config"). The findings about annotations (config/ignore-without-reason,
// config/invalid-ignore) may be suppressed by config exceptions but not by annotations.
func (c *Config) Suppress(fs []finding.Finding, inv *inventory.Inventory, now time.Time, inline bool) []finding.Finding {
	return c.Suppressor(inv, now, inline).Suppress(fs)
}

// A Suppressor is Suppress and Apply made ready for one inventory: the exceptions
// active at a time and the objects' ignore annotations, read once. It keeps nothing of
// the inventory's objects, so that a scan can let them go before its findings are
// sorted and judged.
type Suppressor struct {
	config *Config
	now    time.Time
	inline bool
	active []*Exception
	// ignores are the objects' ignore annotations, and annotationFindings the findings
	// about them (with inline only).
	ignores            ignoreIndex
	annotationFindings []finding.Finding
}

// Suppressor reads what Suppress needs of inv (see Suppress for inline).
func (c *Config) Suppressor(inv *inventory.Inventory, now time.Time, inline bool) *Suppressor {
	s := &Suppressor{config: c, now: now, inline: inline}
	if c != nil {
		for i := range c.Exceptions {
			if e := &c.Exceptions[i]; e.Active(now) {
				s.active = append(s.active, e)
			}
		}
	}
	if inline && anyIgnoreAnnotation(inv) {
		s.ignores, s.annotationFindings = inlineIgnores(inv, rule.All())
	}
	return s
}

// Apply is Config.Apply on the inventory s was made for.
func (s *Suppressor) Apply(fs []finding.Finding) []finding.Finding {
	return append(s.Suppress(fs), s.config.Expired(s.now)...)
}

// Suppress is Config.Suppress on the inventory s was made for.
func (s *Suppressor) Suppress(fs []finding.Finding) []finding.Finding {
	if len(s.active) == 0 && s.ignores == nil {
		// Nothing can be suppressed: skip indexing every rule, and copying (the hot path
		// of admission). Clipped, so that an append by the caller cannot reach fs.
		return slices.Clip(fs)
	}
	out := append(slices.Clone(fs), s.annotationFindings...)
	for i := range out {
		f := &out[i]
		if f.Suppressed != nil {
			continue
		}
		if s.ignores != nil && !isConfigRule(f.RuleID) {
			if ig := s.ignores.lookup(f); ig != nil && ig.covers(f.RuleID) {
				f.Suppressed = &finding.Suppression{Kind: "annotation", Reason: ig.reason}
				continue
			}
		}
		for _, e := range s.active {
			if e.Matches(f) {
				f.Suppressed = &finding.Suppression{Kind: "config", Reason: e.Reason}
				break
			}
		}
	}
	return out
}

// Expired returns a config/expired-exception finding for each exception of the config
// that has expired at now. They are never suppressed.
func (c *Config) Expired(now time.Time) []finding.Finding {
	if c == nil {
		return nil
	}
	var out []finding.Finding
	for i := range c.Exceptions {
		if e := &c.Exceptions[i]; !e.Active(now) {
			out = append(out, c.expired(e))
		}
	}
	return out
}

// HasIgnoreAnnotation reports whether o carries moat.dev/ignore.
func HasIgnoreAnnotation(o *inventory.Object) bool {
	_, ok := o.Meta.GetAnnotations()[IgnoreAnnotation]
	return ok
}

func anyIgnoreAnnotation(inv *inventory.Inventory) bool {
	if inv == nil {
		return false
	}
	for _, o := range inv.Objects {
		if HasIgnoreAnnotation(o) {
			return true
		}
	}
	return false
}

// Active reports whether the exception still applies at now.
func (e *Exception) Active(now time.Time) bool {
	return e.Expires.IsZero() || now.Before(e.Expires)
}

// Matches reports whether the exception covers a finding: its rule matches one of Rules
// and its namespace, kind and name match the lists that are set. The namespace of a
// Namespace is its own name, and a namespaced object written without a namespace is in
// "default", where kubectl would put it.
func (e *Exception) Matches(f *finding.Finding) bool {
	return matchAny(e.Rules, f.RuleID) &&
		(e.Namespaces == nil || matchAny(e.Namespaces, namespaceOf(f.Resource))) &&
		(e.Kinds == nil || matchAny(e.Kinds, f.Resource.Kind)) &&
		(e.Names == nil || matchAny(e.Names, f.Resource.Name))
}

func matchAny(ps []Pattern, s string) bool {
	for _, p := range ps {
		if p.Match(s) {
			return true
		}
	}
	return false
}

func namespaceOf(r finding.Resource) string {
	if r.Namespace != "" {
		return r.Namespace
	}
	gv, err := schema.ParseGroupVersion(r.APIVersion)
	if err != nil || r.APIVersion == "" {
		return ""
	}
	if gv.Group == "" && r.Kind == "Namespace" {
		return r.Name
	}
	if inventory.IsClusterScoped(gv.WithKind(r.Kind).GroupKind()) {
		return ""
	}
	return "default"
}

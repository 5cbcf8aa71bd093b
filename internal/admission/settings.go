package admission

import (
	"fmt"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
)

// Mode is what admission does with a finding.
type Mode int

const (
	// Audit admits and records the finding in the response's auditAnnotations.
	Audit Mode = iota
	// Warn admits and returns the finding as a warning to the client (kubectl prints it).
	Warn
	// Enforce denies the request; the message names the rule, the field and the fix.
	Enforce
)

var modeNames = [...]string{"audit", "warn", "enforce"}

func (m Mode) String() string {
	if m < Audit || m > Enforce {
		return fmt.Sprintf("mode(%d)", int(m))
	}
	return modeNames[m]
}

// ParseMode reads a mode name.
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Mode(i), nil
		}
	}
	return Audit, fmt.Errorf("unknown mode %q (want enforce, warn or audit)", s)
}

// DefaultNamespace is the namespace the printed manifests install Moat in.
const DefaultNamespace = "moat-system"

// RuleMode sets the mode of the rules that match a glob.
type RuleMode struct {
	Rule exceptions.Pattern
	Mode Mode
}

// Settings are the admission: section of the config file.
//
//	admission:
//	  severities:             # mode by severity; these are the defaults
//	    critical: enforce
//	    high: enforce
//	    medium: warn
//	    low: audit
//	    info: audit
//	  podSecurity: baseline   # enforce every finding of a PSS control at or below this level
//	  rules:                  # per-rule modes (IDs or globs), first match wins
//	    pod/run-as-non-root: enforce
//	    image/*: warn
//	  exempt:                 # requests admitted without evaluation
//	    namespaces: [kube-system, moat-system]   # the default
//	    users: [system:serviceaccount:ci:deployer]
//	    groups: [system:masters]
//	  ignoreAnnotations:      # who may exempt their own objects with moat.dev/ignore
//	    namespaces: [legacy-*]                   # default: nobody
//	    users: [system:serviceaccount:ci:deployer]
//	    groups: [platform-admins]
//	  imageSignatures:        # when images.signatures names the image of a workload
//	    failurePolicy: Deny   # or Allow (admit with a warning) when the registry cannot be read
//	    timeout: 2s           # for the whole signature check of one request
//	    cacheTTL: 10m         # how long a verified digest stays verified
//
// At admission the object under review carries the request's own annotations, so an
// inline moat.dev/ignore would let whoever can create the object switch enforcement
// off: it is honoured only for the namespaces, users and groups listed under
// ignoreAnnotations. The config file's exceptions always apply.
//
// The order of precedence is: a per-rule mode, then podSecurity, then the severity.
// The defaults follow moat scan's default --fail-on high: what fails the scan is denied,
// except secret/committed-secret-data, which is audit by default (every Secret created
// through the API carries its data; the rule is about manifests in Git). Per-rule modes
// of the config come before that default.
type Settings struct {
	Severities [finding.Critical + 1]Mode
	// PodSecurity is "", "baseline" or "restricted".
	PodSecurity string
	Rules       []RuleMode
	// Exempt namespaces, users and groups (globs).
	ExemptNamespaces, ExemptUsers, ExemptGroups []exceptions.Pattern
	// IgnoreAnnotations are the namespaces, users and groups (globs) whose objects'
	// moat.dev/ignore annotations are honoured; nobody's by default.
	IgnoreNamespaces, IgnoreUsers, IgnoreGroups []exceptions.Pattern
	// ImageSignatures say how the signing policy is applied at admission.
	ImageSignatures SignatureSettings
}

// SignatureSettings are the admission.imageSignatures section.
type SignatureSettings struct {
	// AllowOnError admits, with a warning, an image whose signatures could not be
	// read (failurePolicy: Allow); by default it is refused.
	AllowOnError bool
	// Timeout bounds the signature check of one request; CacheTTL is how long a
	// verified digest is remembered.
	Timeout, CacheTTL time.Duration
}

// Defaults of SignatureSettings: the check must end well inside the webhook's own
// deadline (3 s), which must end inside the API server's call (5 s).
const (
	DefaultSignatureTimeout  = 2 * time.Second
	DefaultSignatureCacheTTL = 10 * time.Minute
)

// DefaultSettings are the settings of a config with no admission: section.
func DefaultSettings() *Settings {
	s := &Settings{}
	s.Severities[finding.Critical] = Enforce
	s.Severities[finding.High] = Enforce
	s.Severities[finding.Medium] = Warn
	s.Severities[finding.Low] = Audit
	s.Severities[finding.Info] = Audit
	s.ExemptNamespaces = mustGlobs("kube-system", DefaultNamespace)
	// A Secret created through the API carries its data by nature: the rule is about
	// Secret manifests kept in Git, so admission only records it unless told otherwise.
	s.Rules = []RuleMode{{Rule: mustGlobs("secret/committed-secret-data")[0], Mode: Audit}}
	s.ImageSignatures = SignatureSettings{Timeout: DefaultSignatureTimeout, CacheTTL: DefaultSignatureCacheTTL}
	return s
}

func mustGlobs(ss ...string) []exceptions.Pattern {
	out := make([]exceptions.Pattern, len(ss))
	for i, s := range ss {
		p, err := exceptions.CompileGlob(s, false)
		if err != nil {
			panic(err)
		}
		out[i] = p
	}
	return out
}

// ModeOf is the mode of one finding.
func (s *Settings) ModeOf(f *finding.Finding) Mode {
	for _, rm := range s.Rules {
		if rm.Rule.Match(f.RuleID) {
			return rm.Mode
		}
	}
	if s.PodSecurity != "" && f.Frameworks.PSS != "" {
		level, _, _ := strings.Cut(f.Frameworks.PSS, "/")
		if level == "baseline" || level == s.PodSecurity {
			return Enforce
		}
	}
	if f.Severity >= finding.Info && f.Severity <= finding.Critical {
		return s.Severities[f.Severity]
	}
	return Audit
}

// Exempt says whether a request is admitted without evaluation, and why.
func (s *Settings) Exempt(namespace, user string, groups []string) (string, bool) {
	return matchRequester(s.ExemptNamespaces, s.ExemptUsers, s.ExemptGroups, namespace, user, groups, "is exempt")
}

// IgnoreAllowed says whether the requester's object may suppress its own findings with
// moat.dev/ignore, and why.
func (s *Settings) IgnoreAllowed(namespace, user string, groups []string) (string, bool) {
	return matchRequester(s.IgnoreNamespaces, s.IgnoreUsers, s.IgnoreGroups, namespace, user, groups, "may use moat.dev/ignore")
}

// matchRequester matches a request's namespace, user and groups against lists of globs
// and says which one matched: `namespace "a" is exempt`.
func matchRequester(nss, users, groups []exceptions.Pattern, namespace, user string, userGroups []string, what string) (string, bool) {
	if namespace != "" && matchAny(nss, namespace) {
		return fmt.Sprintf("namespace %q %s", namespace, what), true
	}
	if matchAny(users, user) {
		return fmt.Sprintf("user %q %s", user, what), true
	}
	for _, g := range userGroups {
		if matchAny(groups, g) {
			return fmt.Sprintf("group %q %s", g, what), true
		}
	}
	return "", false
}

func matchAny(ps []exceptions.Pattern, s string) bool {
	for _, p := range ps {
		if p.Match(s) {
			return true
		}
	}
	return false
}

// ParseSettings reads the admission: section of a config; the defaults when there is
// none. Errors name the file, line and field.
func ParseSettings(cfg *exceptions.Config) (*Settings, error) {
	s := DefaultSettings()
	if cfg == nil || cfg.Admission == nil {
		return s, nil
	}
	p := &sparser{file: cfg.File}
	p.settings(cfg.Admission, s)
	if len(p.errs) > 0 {
		return nil, joinErrors(p.errs)
	}
	return s, nil
}

type sparser struct {
	file string
	errs []error
}

func (p *sparser) errorf(n *yaml.Node, field, format string, args ...any) {
	p.errs = append(p.errs, &exceptions.Error{File: p.file, Line: n.Line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func joinErrors(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%s", strings.Join(msgs, "\n"))
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// mapping calls f for each key of a mapping, rejecting anchors, aliases and repeated keys.
func (p *sparser) mapping(n *yaml.Node, field string, f func(k, v *yaml.Node)) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		p.errorf(n, field, "YAML anchors and aliases are not supported in the config file")
		return
	}
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, field, "want a mapping")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, field, "want a field name")
			continue
		}
		if seen[k.Value] {
			p.errorf(k, field, "field %q is repeated", k.Value)
			continue
		}
		seen[k.Value] = true
		if v.Kind == yaml.AliasNode || v.Anchor != "" {
			p.errorf(v, field, "YAML anchors and aliases are not supported in the config file")
			continue
		}
		f(k, v)
	}
}

func (p *sparser) scalar(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.errorf(n, field, "want a string")
		return "", false
	}
	return n.Value, true
}

func (p *sparser) mode(n *yaml.Node, field string) (Mode, bool) {
	s, ok := p.scalar(n, field)
	if !ok {
		return Audit, false
	}
	m, err := ParseMode(s)
	if err != nil {
		p.errorf(n, field, "%v", err)
		return Audit, false
	}
	return m, true
}

func (p *sparser) settings(n *yaml.Node, s *Settings) {
	const top = "admission"
	var userRules []RuleMode
	defer func() { s.Rules = append(userRules, s.Rules...) }()
	p.mapping(n, top, func(k, v *yaml.Node) {
		field := top + "." + k.Value
		switch k.Value {
		case "severities":
			p.mapping(v, field, func(k, v *yaml.Node) {
				f := field + "." + k.Value
				sev, err := finding.ParseSeverity(k.Value)
				if err != nil {
					p.errorf(k, f, "%v", err)
					return
				}
				if m, ok := p.mode(v, f); ok {
					s.Severities[sev] = m
				}
			})
		case "podSecurity":
			if lv, ok := p.scalar(v, field); ok {
				switch lv {
				case "baseline", "restricted":
					s.PodSecurity = lv
				case "privileged", "none":
					s.PodSecurity = ""
				default:
					p.errorf(v, field, "unknown level %q (want baseline, restricted or privileged)", lv)
				}
			}
		case "rules":
			p.mapping(v, field, func(k, v *yaml.Node) {
				f := fmt.Sprintf("%s[%s]", field, k.Value)
				pat, err := exceptions.CompileGlob(k.Value, false)
				if err != nil {
					p.errorf(k, f, "%v", err)
					return
				}
				if m, ok := p.mode(v, f); ok {
					userRules = append(userRules, RuleMode{Rule: pat, Mode: m})
				}
			})
		case "exempt":
			p.requesters(v, field, &s.ExemptNamespaces, &s.ExemptUsers, &s.ExemptGroups)
		case "ignoreAnnotations":
			p.requesters(v, field, &s.IgnoreNamespaces, &s.IgnoreUsers, &s.IgnoreGroups)
		case "imageSignatures":
			p.signatures(v, field, &s.ImageSignatures)
		default:
			p.errorf(k, top, "unknown field %q (want one of severities, podSecurity, rules, exempt, ignoreAnnotations, imageSignatures)", k.Value)
		}
	})
}

// signatures reads the imageSignatures section.
func (p *sparser) signatures(v *yaml.Node, field string, s *SignatureSettings) {
	p.mapping(v, field, func(k, v *yaml.Node) {
		f := field + "." + k.Value
		switch k.Value {
		case "failurePolicy":
			if fp, ok := p.scalar(v, f); ok {
				switch fp {
				case "Deny":
					s.AllowOnError = false
				case "Allow":
					s.AllowOnError = true
				default:
					p.errorf(v, f, "unknown failure policy %q (want Deny or Allow)", fp)
				}
			}
		case "timeout":
			p.duration(v, f, &s.Timeout, time.Minute)
		case "cacheTTL":
			p.duration(v, f, &s.CacheTTL, 24*time.Hour)
		default:
			p.errorf(k, field, "unknown field %q (want one of failurePolicy, timeout, cacheTTL)", k.Value)
		}
	})
}

// duration reads a positive Go duration ("2s", "10m") of at most limit.
func (p *sparser) duration(v *yaml.Node, field string, dst *time.Duration, limit time.Duration) {
	str, ok := p.scalar(v, field)
	if !ok {
		return
	}
	d, err := time.ParseDuration(str)
	switch {
	case err != nil:
		p.errorf(v, field, "%q is not a duration (write it as 2s, 500ms, 10m)", str)
	case d <= 0 || d > limit:
		p.errorf(v, field, "%s is out of range (want more than 0 and at most %s)", d, limit)
	default:
		*dst = d
	}
}

// requesters reads namespaces, users and groups, each a list of globs.
func (p *sparser) requesters(v *yaml.Node, field string, namespaces, users, groups *[]exceptions.Pattern) {
	p.mapping(v, field, func(k, v *yaml.Node) {
		f := field + "." + k.Value
		var dst *[]exceptions.Pattern
		switch k.Value {
		case "namespaces":
			dst = namespaces
		case "users":
			dst = users
		case "groups":
			dst = groups
		default:
			p.errorf(k, field, "unknown field %q (want one of namespaces, users, groups)", k.Value)
			return
		}
		*dst = p.globs(v, f)
	})
}

// globs reads a list of globs; an empty list is allowed and means none.
func (p *sparser) globs(v *yaml.Node, field string) []exceptions.Pattern {
	if isNull(v) {
		return []exceptions.Pattern{}
	}
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	}
	out := []exceptions.Pattern{}
	for i, n := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		s, ok := p.scalar(n, f)
		if !ok {
			continue
		}
		pat, err := exceptions.CompileGlob(s, false)
		if err != nil {
			p.errorf(n, f, "%v", err)
			continue
		}
		out = append(out, pat)
	}
	return out
}

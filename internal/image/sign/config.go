package sign

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/moat-dev/moat/internal/exceptions"
)

// ConfigField is where the policy sits in Moat's config file.
const ConfigField = "images.signatures"

// ParsePolicy reads the images.signatures section of a config file:
//
//	images:
//	  signatures:
//	    rules:                        # the first rule whose images match applies
//	      - images: [registry.example.com/team/*]
//	        keys: [keys/team.pub]     # PEM files (relative to the config file) or inline PEM
//	      - images: ["ghcr.io/acme/**"]
//	        keyless:
//	          - issuer: https://token.actions.githubusercontent.com
//	            subjectRegexp: https://github\.com/acme/.+/\.github/workflows/release\.yml@refs/tags/.+
//	        trustedRoot: trusted_root.json
//	        requireTransparencyLog: true
//	        requireTimestamp: false
//	        predicateTypes: [https://sigstore.dev/cosign/sign/v1]   # the default
//
// It returns nil when there is no such section. Errors name the file, line and field;
// files (keys, trusted roots) are read by NewVerifier.
func ParsePolicy(cfg *exceptions.Config) (*Policy, error) {
	if cfg == nil || cfg.Images.Signatures == nil || cfg.Images.Signatures.Tag == "!!null" {
		return nil, nil
	}
	p := &policyParser{file: cfg.File, lines: map[string]int{}}
	policy := p.policy(cfg.Images.Signatures)
	if len(p.errs) == 0 {
		for i := range policy.Rules {
			field := fmt.Sprintf("%s.rules[%d]", ConfigField, i)
			for _, e := range policy.Rules[i].validate(field) {
				p.errs = append(p.errs, &exceptions.Error{File: p.file, Line: p.lineOf(e.Field), Field: e.Field, Msg: e.Msg})
			}
		}
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return policy, nil
}

type policyParser struct {
	file string
	errs []error
	// lines are the lines of the fields read, for the errors found afterwards.
	lines map[string]int
}

func (p *policyParser) errorf(n *yaml.Node, field, format string, args ...any) {
	p.errs = append(p.errs, &exceptions.Error{File: p.file, Line: n.Line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// lineOf is the line of a field, or of the nearest enclosing field read.
func (p *policyParser) lineOf(field string) int {
	for {
		if line, ok := p.lines[field]; ok {
			return line
		}
		cut := strings.LastIndexAny(field, ".[")
		if cut < 0 {
			return 0
		}
		field = field[:cut]
	}
}

func (p *policyParser) policy(n *yaml.Node) *Policy {
	policy := &Policy{}
	p.mapping(n, ConfigField, []string{"rules"}, func(_ string, v *yaml.Node) {
		field := ConfigField + ".rules"
		p.sequence(v, field, func(i int, item *yaml.Node) {
			policy.Rules = append(policy.Rules, p.rule(item, fmt.Sprintf("%s[%d]", field, i)))
		})
	})
	return policy
}

var ruleFields = []string{"images", "keys", "keyless", "trustedRoot", "requireTransparencyLog", "requireTimestamp", "predicateTypes"}

func (p *policyParser) rule(n *yaml.Node, field string) Rule {
	var r Rule
	p.mapping(n, field, ruleFields, func(key string, v *yaml.Node) {
		f := field + "." + key
		switch key {
		case "images":
			r.Images = p.strings(v, f)
		case "keys":
			r.Keys = p.strings(v, f)
		case "keyless":
			p.sequence(v, f, func(i int, item *yaml.Node) {
				r.Keyless = append(r.Keyless, p.identity(item, fmt.Sprintf("%s[%d]", f, i)))
			})
		case "trustedRoot":
			r.TrustedRoot, _ = p.scalar(v, f)
		case "requireTransparencyLog":
			r.RequireTlog = p.boolean(v, f)
		case "requireTimestamp":
			r.RequireTimestamp = p.boolean(v, f)
		case "predicateTypes":
			r.PredicateTypes = p.strings(v, f)
		}
	})
	return r
}

func (p *policyParser) identity(n *yaml.Node, field string) Identity {
	var id Identity
	p.mapping(n, field, []string{"issuer", "issuerRegexp", "subject", "subjectRegexp"}, func(key string, v *yaml.Node) {
		s, _ := p.scalar(v, field+"."+key)
		switch key {
		case "issuer":
			id.Issuer = s
		case "issuerRegexp":
			id.IssuerRegexp = s
		case "subject":
			id.Subject = s
		case "subjectRegexp":
			id.SubjectRegexp = s
		}
	})
	return id
}

// mapping calls f for each field of a mapping, rejecting unknown and repeated fields,
// anchors and aliases.
func (p *policyParser) mapping(n *yaml.Node, field string, known []string, f func(key string, v *yaml.Node)) {
	p.lines[field] = n.Line
	if !p.plain(n, field) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, field, "want a mapping with the fields %s", strings.Join(known, ", "))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			p.errorf(k, field, "want a field name")
		case !slices.Contains(known, k.Value):
			p.errorf(k, field, "unknown field %q (want %s)", k.Value, strings.Join(known, ", "))
		case seen[k.Value]:
			p.errorf(k, field, "field %q is repeated", k.Value)
		default:
			seen[k.Value] = true
			if p.plain(v, field+"."+k.Value) {
				p.lines[field+"."+k.Value] = v.Line
				f(k.Value, v)
			}
		}
	}
}

func (p *policyParser) sequence(n *yaml.Node, field string, f func(i int, item *yaml.Node)) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, field, "want a list")
		return
	}
	for i, item := range n.Content {
		itemField := fmt.Sprintf("%s[%d]", field, i)
		p.lines[itemField] = item.Line
		if p.plain(item, itemField) {
			f(i, item)
		}
	}
}

func (p *policyParser) strings(n *yaml.Node, field string) []string {
	var out []string
	p.sequence(n, field, func(i int, item *yaml.Node) {
		if s, ok := p.scalar(item, fmt.Sprintf("%s[%d]", field, i)); ok {
			out = append(out, s)
		}
	})
	return out
}

func (p *policyParser) scalar(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, field, "want a string")
		return "", false
	}
	return n.Value, true
}

func (p *policyParser) boolean(n *yaml.Node, field string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		p.errorf(n, field, "want true or false")
		return false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		p.errorf(n, field, "want true or false")
	}
	return b
}

// plain rejects anchors and aliases, as the rest of the config file does.
func (p *policyParser) plain(n *yaml.Node, field string) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		p.errorf(n, field, "YAML anchors and aliases are not supported in the config file")
		return false
	}
	return true
}

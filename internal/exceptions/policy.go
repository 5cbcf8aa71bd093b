// Package exceptions holds what users add to the built-in rules: the exceptions of the
// config file (.moat.yaml, or --config FILE) and the inline ignore annotations
// (moat.dev/ignore with moat.dev/ignore-reason). It decides which findings are
// suppressed and reports the exceptions and annotations that need attention
// (config/expired-exception, config/ignore-without-reason, config/invalid-ignore).
//
// Loading reads one file; applying is pure and takes the time to compare expiry dates
// with from its caller, never from the clock.
package exceptions

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/moat-dev/moat/internal/podspec"
	"github.com/moat-dev/moat/internal/rule"
)

// MaxConfigBytes bounds the config file.
const MaxConfigBytes = 1 << 20

// Config is the --config file.
type Config struct {
	// File is the path the config was read from, as given.
	File       string
	Exceptions []Exception
	// Admission is the admission: section as written, for the admission webhook to read
	// (internal/admission parses it, with the lines of this file); nil when absent.
	Admission *yaml.Node
	// Node is the node: section as written (the layout and paths of `moat node`), for
	// internal/node to read; nil when absent.
	Node *yaml.Node
	// Images is the images: section, the registries images may and may not come from.
	Images Images
	// PodTemplatePaths is the podTemplatePaths: section, where custom resources keep
	// their pod template (podtemplates.go).
	PodTemplatePaths []podspec.TemplatePath
	// Warnings are problems that do not stop the scan (a rule pattern matching no
	// rule), each naming the file and line.
	Warnings []string
}

// Exception suppresses the findings of some rules on some objects, for a reason, maybe
// until a date. Each list is OR'ed; the lists that are set are AND'ed.
type Exception struct {
	Rules      []Pattern // required
	Namespaces []Pattern // nil: any namespace
	Kinds      []Pattern // nil: any kind; matched regardless of case
	Names      []Pattern // nil: any name
	Reason     string
	// Expires is the first instant at which the exception no longer applies; zero for
	// never. A date (2026-12-31) lasts through that day in UTC.
	Expires time.Time
	// ExpiresText is the expiry as written.
	ExpiresText string
	// Index is the exception's place in the list; Line its line in the file, and
	// ExpiresLine the line of its expires field.
	Index, Line, ExpiresLine int
}

// Error is one problem of a config file, named by file, line and field.
type Error struct {
	File  string
	Line  int
	Field string // "exceptions[1].rules[0]", or empty
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads a config file. A missing file is no error when it is the default one
// (explicit is false): the config is then empty, and inline annotations still apply.
func Load(path string, explicit bool) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return &Config{}, nil
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(data) > MaxConfigBytes {
		return nil, &Error{File: path, Msg: fmt.Sprintf("larger than %d KiB", MaxConfigBytes>>10)}
	}
	return Parse(data, path)
}

// Parse reads the YAML of a config file; file names it in errors and findings. All the
// problems found are returned together, joined, each naming file, line and field.
func Parse(data []byte, file string) (*Config, error) {
	p := &parser{file: file, cfg: &Config{File: file}}
	p.parse(data)
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		errs := make([]error, len(p.errs))
		for i, e := range p.errs {
			errs[i] = e
		}
		return nil, errors.Join(errs...)
	}
	p.cfg.Warnings = unknownRules(p.cfg, rule.All())
	return p.cfg, nil
}

type parser struct {
	file string
	cfg  *Config
	errs []*Error
}

func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

func (p *parser) parse(data []byte) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err != io.EOF {
			p.yamlError(err)
		}
		return // an empty file is an empty config
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		if err != nil {
			p.yamlError(err)
		} else {
			p.errorf(&extra, "", "a second YAML document: the config is one document")
		}
		return
	}
	if len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	if !p.plain(root, "") {
		return
	}
	if isNull(root) {
		return
	}
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "", "want a mapping with the field exceptions, not %s", describeNode(root))
		return
	}
	p.fields(root, "", []string{"exceptions", "admission", "images", "podTemplatePaths", "node"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "exceptions":
			p.exceptions(v)
		case "admission":
			p.cfg.Admission = v
		case "images":
			p.images(v)
		case "node":
			p.cfg.Node = v
		case "podTemplatePaths":
			p.podTemplatePaths(v)
		}
	})
}

// yamlError turns a YAML syntax error into an Error with the line it names.
func (p *parser) yamlError(err error) {
	msg := err.Error()
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	msg = strings.ReplaceAll(msg, "\n", "; ")
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: "invalid YAML: " + msg})
}

// plain rejects anchors, aliases and merge keys, which the config does not need and
// which would let a small file expand into a large one.
func (p *parser) plain(n *yaml.Node, field string) bool {
	if n.Kind == yaml.AliasNode {
		p.errorf(n, field, "YAML aliases (*%s) are not supported in the config file: write the value out", n.Value)
		return false
	}
	if n.Anchor != "" {
		p.errorf(n, field, "YAML anchors (&%s) are not supported in the config file", n.Anchor)
		return false
	}
	return true
}

// fields walks a mapping, rejecting unknown and repeated keys, and calls f for each known
// one. It returns the keys it saw.
func (p *parser) fields(m *yaml.Node, field string, known []string, f func(key string, k, v *yaml.Node)) map[string]bool {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !p.plain(k, field) {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, field, "want a field name, not %s", describeNode(k))
			continue
		}
		if !contains(known, k.Value) {
			p.errorf(k, field, "unknown field %q (want %s)", k.Value, oneOf(known))
			continue
		}
		if seen[k.Value] {
			p.errorf(k, field, "field %q is repeated", k.Value)
			continue
		}
		seen[k.Value] = true
		if p.plain(v, join(field, k.Value)) {
			f(k.Value, k, v)
		}
	}
	return seen
}

var exceptionFields = []string{"rules", "namespaces", "kinds", "names", "reason", "expires"}

func (p *parser) exceptions(v *yaml.Node) {
	if isNull(v) {
		return
	}
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, "exceptions", "want a list of exceptions, not %s", describeNode(v))
		return
	}
	for i, item := range v.Content {
		field := fmt.Sprintf("exceptions[%d]", i)
		if !p.plain(item, field) {
			continue
		}
		if item.Kind != yaml.MappingNode {
			p.errorf(item, field, "want a mapping with rules and reason, not %s", describeNode(item))
			continue
		}
		e := Exception{Index: i, Line: item.Line}
		seen := p.fields(item, field, exceptionFields, func(key string, k, v *yaml.Node) {
			f := field + "." + key
			switch key {
			case "rules":
				e.Rules = p.patterns(v, f, false)
			case "namespaces":
				e.Namespaces = p.patterns(v, f, false)
			case "kinds":
				e.Kinds = p.patterns(v, f, true)
			case "names":
				e.Names = p.patterns(v, f, false)
			case "reason":
				if s, ok := p.scalar(v, f); ok {
					if strings.TrimSpace(s) == "" {
						p.errorf(v, f, "empty reason: say why the findings are accepted")
					}
					e.Reason = strings.TrimSpace(s)
				}
			case "expires":
				if s, ok := p.scalar(v, f); ok {
					t, err := ParseExpiry(s)
					if err != nil {
						p.errorf(v, f, "%v", err)
					}
					e.Expires, e.ExpiresText, e.ExpiresLine = t, s, k.Line
				}
			}
		})
		if !seen["rules"] {
			p.errorf(item, field, "rules is required")
		}
		if !seen["reason"] {
			p.errorf(item, field, "reason is required")
		}
		p.cfg.Exceptions = append(p.cfg.Exceptions, e)
	}
}

// patterns reads a list of globs (or one glob written as a scalar). An empty list is an
// error: it would match nothing, which no one means.
func (p *parser) patterns(v *yaml.Node, field string, fold bool) []Pattern {
	items := []*yaml.Node{v}
	switch {
	case v.Kind == yaml.SequenceNode:
		items = v.Content
		if len(items) == 0 {
			p.errorf(v, field, "empty list (leave the field out to match any)")
			return nil
		}
	case isNull(v):
		p.errorf(v, field, "empty value (leave the field out to match any)")
		return nil
	}
	var out []Pattern
	for i, n := range items {
		f := field
		if v.Kind == yaml.SequenceNode {
			f = fmt.Sprintf("%s[%d]", field, i)
		}
		s, ok := p.scalar(n, f)
		if !ok {
			continue
		}
		pat, err := CompileGlob(s, fold)
		if err != nil {
			p.errorf(n, f, "%v", err)
			continue
		}
		out = append(out, pat)
	}
	return out
}

// scalar reads a string; numbers and booleans are taken as written.
func (p *parser) scalar(n *yaml.Node, field string) (string, bool) {
	if !p.plain(n, field) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, field, "want a string, not %s", describeNode(n))
		return "", false
	}
	return n.Value, true
}

// ParseExpiry reads an expiry date: YYYY-MM-DD, which lasts through that day in UTC,
// or an RFC 3339 time. It returns the first instant at which the exception has expired.
func ParseExpiry(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.AddDate(0, 0, 1), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD or an RFC 3339 time such as 2026-12-31T18:00:00Z)", s)
}

// unknownRules warns of rule patterns that match no registered rule: most often a typo,
// or a rule that was retired.
func unknownRules(c *Config, rules []*rule.Rule) []string {
	var out []string
	for _, e := range c.Exceptions {
		for j, pat := range e.Rules {
			if !matchesAnyRule(pat, rules) {
				out = append(out, fmt.Sprintf("%s:%d: exceptions[%d].rules[%d]: %q matches no rule (see moat rules)", c.File, e.Line, e.Index, j, pat.Text))
			}
		}
	}
	return out
}

func matchesAnyRule(pat Pattern, rules []*rule.Rule) bool {
	for _, r := range rules {
		if pat.Match(r.ID) {
			return true
		}
	}
	return false
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "an empty value"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func oneOf(known []string) string {
	if len(known) == 1 {
		return known[0]
	}
	return "one of " + strings.Join(known, ", ")
}

// WarningList returns the config's warnings; none for a nil Config.
func (c *Config) WarningList() []string {
	if c == nil {
		return nil
	}
	return c.Warnings
}

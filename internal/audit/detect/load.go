// Package detect holds Moat's detection rules over Kubernetes API audit events: rules
// written in YAML with conditions in CEL, the default pack embedded from pack/*.yaml, and
// the engine that evaluates them.
//
// A rule file is a YAML sequence of entries, each one of:
//
//   - list: trusted_users            # a named list of strings
//     items: [system:kube-scheduler]
//     append: true                   # in a user file: add to a list defined before
//   - macro: by_person               # a named CEL expression
//     condition: '!username.startsWith("system:")'
//   - id: audit/pod-exec             # a rule
//     title: ...
//     desc: ...
//     match: {verbs: [create, get], resources: [pods/exec]}
//     stages: [ResponseStarted]      # default ResponseComplete
//     condition: by_person           # CEL over the event (see env.go for the variables)
//     fields: {cmd: 'command.join(" ")'}  # extra CEL strings for the output
//     output: '{username} ran {cmd} in {namespace}/{name}'
//     severity: high
//     mitre: [T1609]
//     rate: {count: 10, window: 1m}  # optional: alert when the condition holds that often per user
//     refused: {by: audit/pod-exec-refused}  # what a refused (403, 422) attempt raises; or
//     # refused: {self: true}          this rule alerts on refused requests itself
//     # refused: {none: why}           refused attempts raise nothing, and why
//   - id: audit/loadbalancer-service # in a user file: switch a rule of the pack off
//     enabled: false
//
// A macro given again with `append: true` is or-ed to the earlier one.
//
// Lists and macros are expanded into the CEL text of a condition at load time, as
// whole identifiers outside string literals: a list becomes a CEL list literal, a macro its
// parenthesised condition (recursively; a cycle is an error). Expansion rather than CEL
// variables keeps conditions self-contained, lets the CEL checker see every list as a
// constant (membership tests on constant lists are turned into set lookups by the
// optimiser), and lets a user file extend a list before any rule is compiled.
package detect

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/moat-dev/moat/internal/finding"
)

//go:embed pack/*.yaml
var pack embed.FS

// Rule is one compiled detection rule.
type Rule struct {
	ID        string
	Title     string
	Desc      string
	Severity  finding.Severity
	MITRE     []string
	Output    string
	Condition string // as written
	Expanded  string // after lists and macros
	File      string
	Line      int
	Tags      []string
	// Refused says what a refused attempt at the action the rule alerts on raises (nil if
	// the rule file does not say; every rule of the default pack says).
	Refused *Refused

	verbs     map[string]bool // empty: any
	resources map[string]bool // "pods", "pods/exec", "*"; empty: any
	stages    map[string]bool
	rate      *Rate
	prog      program
	fields    map[string]program
	out       []outPart
}

// Rate makes a rule fire when its condition held Count times for one user within Window.
type Rate struct {
	Count  int           `yaml:"count"`
	Window time.Duration `yaml:"window"`
}

// Refused is a rule's answer to "and when the API server refuses it?": an attacker's
// refused attempt (403 from authorization or admission, 422 from validation) is a signal
// too. Exactly one field is set.
type Refused struct {
	// By is the rule that alerts on the refused attempt, at a lower severity.
	By string `yaml:"by" json:"by,omitempty"`
	// Self: the rule itself alerts on refused requests (it is a counterpart, or it alerts
	// whether or not the request was refused).
	Self bool `yaml:"self" json:"self,omitempty"`
	// None says why a refused attempt raises nothing (noise, or nothing to judge it by).
	None string `yaml:"none" json:"none,omitempty"`
}

// Set is a compiled set of rules.
type Set struct {
	Rules  []*Rule
	Lists  map[string][]string
	Macros map[string]string
}

// entry is one item of a rule file, as written.
type entry struct {
	List      string            `yaml:"list"`
	Items     []string          `yaml:"items"`
	Append    bool              `yaml:"append"`
	Macro     string            `yaml:"macro"`
	ID        string            `yaml:"id"`
	Title     string            `yaml:"title"`
	Desc      string            `yaml:"desc"`
	Match     match             `yaml:"match"`
	Stages    []string          `yaml:"stages"`
	Condition string            `yaml:"condition"`
	Fields    map[string]string `yaml:"fields"`
	Output    string            `yaml:"output"`
	Severity  string            `yaml:"severity"`
	MITRE     []string          `yaml:"mitre"`
	Tags      []string          `yaml:"tags"`
	Rate      *Rate             `yaml:"rate"`
	Refused   *Refused          `yaml:"refused"`
	Enabled   *bool             `yaml:"enabled"`

	file                    string
	line, condLine, outLine int
}

type match struct {
	Verbs     []string `yaml:"verbs"`
	Resources []string `yaml:"resources"`
}

// Error is a rule file problem, naming its file and line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Default compiles the default pack.
func Default() (*Set, error) { return Load() }

// Load compiles the default pack and then the *.yaml and *.yml files of each user
// directory (or file), in name order. Every error is returned, each naming file and line.
func Load(user ...string) (*Set, error) {
	var entries []*entry
	var errs []error
	files, _ := fs.Glob(pack, "pack/*.yaml")
	sort.Strings(files)
	for _, f := range files {
		b, err := pack.ReadFile(f)
		if err != nil {
			return nil, err
		}
		es, err := parse(b, "internal/audit/detect/"+f)
		errs = append(errs, err)
		entries = append(entries, es...)
	}
	for _, dir := range user {
		paths, err := userFiles(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			es, err := parse(b, p)
			errs = append(errs, err)
			entries = append(entries, es...)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return compile(entries)
}

// LoadBytes compiles rule files given as name → content (for tests), without the pack.
func LoadBytes(files map[string][]byte) (*Set, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var entries []*entry
	for _, n := range names {
		es, err := parse(files[n], n)
		if err != nil {
			return nil, err
		}
		entries = append(entries, es...)
	}
	return compile(entries)
}

func userFiles(dir string) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{dir}, nil
	}
	var out []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// parse reads one rule file, remembering the line of each entry and of its condition.
func parse(b []byte, file string) ([]*entry, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, &Error{File: file, Line: yamlLine(err), Msg: err.Error()}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.SequenceNode {
		return nil, &Error{File: file, Line: root.Line, Msg: "a rule file is a YAML sequence of list, macro and rule entries"}
	}
	var out []*entry
	var errs []error
	for _, n := range root.Content {
		e := &entry{file: file, line: n.Line, condLine: n.Line, outLine: n.Line}
		if err := n.Decode(e); err != nil {
			errs = append(errs, &Error{File: file, Line: n.Line, Msg: err.Error()})
			continue
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				switch n.Content[i].Value {
				case "condition":
					e.condLine = n.Content[i+1].Line
				case "output":
					e.outLine = n.Content[i+1].Line
				}
			}
		}
		out = append(out, e)
	}
	return out, errors.Join(errs...)
}

func yamlLine(err error) int {
	var line int
	if _, e := fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d:", &line); e == nil {
		return line
	}
	return 0
}

var stageNames = []string{"RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"}

// compile resolves lists and macros and compiles every rule.
func compile(entries []*entry) (*Set, error) {
	s := &Set{Lists: map[string][]string{}, Macros: map[string]string{}}
	var errs []error
	bad := func(file string, line int, format string, a ...any) {
		errs = append(errs, &Error{File: file, Line: line, Msg: fmt.Sprintf(format, a...)})
	}
	macroLine := map[string]*entry{}
	for _, e := range entries {
		kinds := 0
		for _, k := range []string{e.List, e.Macro, e.ID} {
			if k != "" {
				kinds++
			}
		}
		if kinds != 1 {
			bad(e.file, e.line, "an entry has exactly one of list, macro or id")
			continue
		}
		switch {
		case e.List != "":
			if !isIdent(e.List) {
				bad(e.file, e.line, "list name %q is not an identifier", e.List)
				continue
			}
			_, exists := s.Lists[e.List]
			switch {
			case e.Append && !exists:
				bad(e.file, e.line, "append to list %q, which is not defined before", e.List)
			case !e.Append && exists:
				bad(e.file, e.line, "list %q is defined twice (use append: true to extend it)", e.List)
			default:
				s.Lists[e.List] = append(s.Lists[e.List], e.Items...)
			}
		case e.Macro != "":
			if !isIdent(e.Macro) {
				bad(e.file, e.line, "macro name %q is not an identifier", e.Macro)
				continue
			}
			if _, exists := s.Macros[e.Macro]; exists && !e.Append {
				bad(e.file, e.line, "macro %q is defined twice", e.Macro)
				continue
			}
			if strings.TrimSpace(e.Condition) == "" {
				bad(e.file, e.line, "macro %q has no condition", e.Macro)
				continue
			}
			if old, ok := s.Macros[e.Macro]; ok { // append: or-ed to the old one
				s.Macros[e.Macro] = "(" + old + ") || (" + e.Condition + ")"
			} else {
				s.Macros[e.Macro] = e.Condition
			}
			macroLine[e.Macro] = e
		}
	}
	for name := range s.Lists {
		if _, ok := s.Macros[name]; ok {
			m := macroLine[name]
			bad(m.file, m.line, "%q is both a list and a macro", name)
		}
	}
	env, err := newEnv()
	if err != nil {
		return nil, err
	}
	byID := map[string]*Rule{}
	var refusedBy []*entry // rules whose refused: names another rule, checked once all are read
	for _, e := range entries {
		if e.ID == "" {
			continue
		}
		if prev, ok := byID[e.ID]; ok {
			if e.Enabled != nil && !*e.Enabled && e.Condition == "" { // a user file switching a rule off
				s.Rules = slices.DeleteFunc(s.Rules, func(r *Rule) bool { return r == prev })
				continue
			}
			bad(e.file, e.line, "rule %s is defined twice (first at %s:%d)", e.ID, prev.File, prev.Line)
			continue
		}
		if e.Enabled != nil && !*e.Enabled && e.Condition == "" {
			bad(e.file, e.line, "rule %s: enabled: false names no rule defined before", e.ID)
			continue
		}
		r, rerrs := compileRule(env, s, e)
		if len(rerrs) > 0 {
			errs = append(errs, rerrs...)
			continue
		}
		byID[e.ID] = r
		if e.Refused != nil && e.Refused.By != "" {
			refusedBy = append(refusedBy, e)
		}
		if e.Enabled == nil || *e.Enabled {
			s.Rules = append(s.Rules, r)
		}
	}
	for _, e := range refusedBy {
		if by := e.Refused.By; byID[by] == nil {
			bad(e.file, e.line, "rule %s: refused: by names %s, which is not defined", e.ID, by)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

func compileRule(env *celEnv, s *Set, e *entry) (*Rule, []error) {
	var errs []error
	bad := func(line int, format string, a ...any) {
		errs = append(errs, &Error{File: e.file, Line: line, Msg: fmt.Sprintf("rule %s: ", e.ID) + fmt.Sprintf(format, a...)})
	}
	r := &Rule{ID: e.ID, Title: e.Title, Desc: e.Desc, MITRE: e.MITRE, Output: e.Output, Condition: e.Condition,
		File: e.file, Line: e.line, Tags: e.Tags, rate: e.Rate, Refused: e.Refused}
	if !strings.Contains(e.ID, "/") {
		bad(e.line, "id %q is not of the form domain/slug", e.ID)
	}
	if e.Title == "" {
		bad(e.line, "title is missing")
	}
	sev, err := finding.ParseSeverity(e.Severity)
	if err != nil {
		bad(e.line, "severity: %v", err)
	}
	r.Severity = sev
	for _, t := range e.MITRE {
		if !strings.HasPrefix(t, "T") {
			bad(e.line, "mitre %q is not an ATT&CK technique ID such as T1609", t)
		}
	}
	if e.Output == "" {
		bad(e.line, "output is missing")
	}
	if strings.TrimSpace(e.Condition) == "" {
		bad(e.line, "condition is missing")
	}
	if e.Rate != nil && (e.Rate.Count < 2 || e.Rate.Window <= 0) {
		bad(e.line, "rate needs count >= 2 and a positive window")
	}
	if f := e.Refused; f != nil {
		n := 0
		for _, set := range []bool{f.By != "", f.Self, strings.TrimSpace(f.None) != ""} {
			if set {
				n++
			}
		}
		switch {
		case n != 1:
			bad(e.line, "refused needs exactly one of by (a rule ID), self: true or none (a reason)")
		case f.By == e.ID:
			bad(e.line, "refused: by names the rule itself (use self: true)")
		}
	}
	r.verbs = set(e.Match.Verbs)
	r.resources = set(e.Match.Resources)
	stages := e.Stages
	if len(stages) == 0 {
		stages = []string{"ResponseComplete"}
	}
	for _, st := range stages {
		if !slices.Contains(stageNames, st) {
			bad(e.line, "stage %q is not one of %s", st, strings.Join(stageNames, ", "))
		}
	}
	r.stages = set(stages)
	if len(errs) > 0 {
		return nil, errs
	}
	expanded, err := expand(e.Condition, s)
	if err != nil {
		bad(e.condLine, "condition: %v", err)
		return nil, errs
	}
	r.Expanded = expanded
	r.prog, err = env.compile(expanded, true)
	if err != nil {
		bad(e.condLine, "condition does not compile: %v", err)
	}
	r.fields = map[string]program{}
	for name, src := range e.Fields {
		x, err := expand(src, s)
		if err == nil {
			r.fields[name], err = env.compile(x, false)
		}
		if err != nil {
			bad(e.line, "field %s does not compile: %v", name, err)
		}
	}
	r.out, err = parseOutput(e.Output, r.fields)
	if err != nil {
		bad(e.outLine, "output: %v", err)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

func set(xs []string) map[string]bool {
	if len(xs) == 0 {
		return nil
	}
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// Package finding holds the finding model shared by every analyzer and reporter:
// what was found (rule, severity, message), where (resource, field path, file and
// line) and how to fix it. Findings are plain data; this package decides nothing.
package finding

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Severity orders findings from info to critical. The zero value is Info.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

// Severities lists every severity from the most to the least severe.
var Severities = []Severity{Critical, High, Medium, Low, Info}

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name as written on the command line or in a config file.
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(name, n) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unknown severity %q (want one of info, low, medium, high, critical)", name)
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Resource names the Kubernetes object a finding is about.
type Resource struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

func (r Resource) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Source is where an object was read from. It is absent for cluster objects.
type Source struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	// Origin says what produced the file when it is not a plain manifest:
	// "helm:CHART" or "kustomize:DIR".
	Origin string `json:"origin,omitempty"`
	// LineUnknown says why Line is absent where a line was looked for: a chart's
	// field that template code (include, toYaml, a value) wrote has no line of the
	// template to point at ("rendered by template code"). Renderers say so rather
	// than name a wrong line.
	LineUnknown string `json:"lineUnknown,omitempty"`
}

func (s *Source) String() string {
	if s == nil {
		return ""
	}
	if s.Line > 0 {
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	}
	return s.File
}

// Frameworks maps a rule to the controls of the frameworks that ask for it.
type Frameworks struct {
	// PSS is LEVEL/CHECKID of the Pod Security Standards, e.g. "restricted/runAsNonRoot".
	PSS string `json:"pss,omitempty"`
	// CIS is the CIS Kubernetes Benchmark recommendation ID, e.g. "5.2.2".
	CIS string `json:"cis,omitempty"`
	// NSA is the section of the NSA/CISA Kubernetes Hardening Guide.
	NSA string `json:"nsa,omitempty"`
	// MITRE is the MITRE ATT&CK technique ID, e.g. "T1611".
	MITRE string `json:"mitre,omitempty"`
}

// Suppression says why a finding was silenced.
type Suppression struct {
	// Kind is "annotation" or "config".
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

// Finding is one rule's verdict on one place of one object.
type Finding struct {
	RuleID      string       `json:"ruleID"`
	Severity    Severity     `json:"severity"`
	Title       string       `json:"title"`
	Message     string       `json:"message"`
	Resource    Resource     `json:"resource"`
	Path        string       `json:"path,omitempty"`
	Source      *Source      `json:"source,omitempty"`
	Frameworks  Frameworks   `json:"frameworks"`
	Remediation string       `json:"remediation"`
	Suppressed  *Suppression `json:"suppressed,omitempty"`
}

// Compare orders findings by severity (most severe first), then resource, then rule,
// then path, so that output is stable and diffable.
func Compare(a, b Finding) int { return compare(&a, &b) }

// compare is Compare on pointers: a Finding is over 200 bytes, and a sort of tens of
// thousands of them compares each several times.
func compare(a, b *Finding) int {
	if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
		return c
	}
	if c := compareResources(&a.Resource, &b.Resource); c != 0 {
		return c
	}
	if c := cmp.Compare(a.RuleID, b.RuleID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Path, b.Path); c != 0 {
		return c
	}
	if c := compareSource(a.Source, b.Source); c != 0 {
		return c
	}
	return cmp.Compare(a.Message, b.Message)
}

// compareResources orders resources by namespace, kind, name and API version.
func compareResources(a, b *Resource) int {
	if c := cmp.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return cmp.Compare(a.APIVersion, b.APIVersion)
}

// compareSource orders sources as their String forms order, without building them
// when they are equal (the usual case: two findings of one field of one object).
func compareSource(a, b *Source) int {
	switch {
	case a == b:
		return 0
	case a != nil && b != nil && a.File == b.File && a.Line == b.Line:
		return 0
	}
	return cmp.Compare(a.String(), b.String())
}

// Sort sorts findings in the stable report order.
//
// It sorts a permutation of indexes rather than the findings themselves, ties broken by
// index (so the order is the stable one), then moves each finding once: a stable sort
// of the 232-byte findings moved each of them many times over, and a profile of a scan
// of 77,000 findings showed it as a tenth of the evaluation.
func Sort(fs []Finding) {
	if len(fs) < 2 || slices.IsSortedFunc(fs, Compare) {
		return
	}
	if len(fs) <= 12 {
		slices.SortStableFunc(fs, Compare)
		return
	}
	perm := make([]int32, len(fs))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(i, j int32) int {
		if c := compare(&fs[i], &fs[j]); c != 0 {
			return c
		}
		return cmp.Compare(i, j)
	})
	permute(fs, perm)
}

// permute puts fs[perm[i]] at i for every i, following the cycles of perm; it uses perm
// as its scratch space (perm is left as the identity, negated).
func permute(fs []Finding, perm []int32) {
	for start := range perm {
		if perm[start] < 0 {
			continue
		}
		tmp := fs[start]
		i := start
		for {
			from := perm[i]
			perm[i] = -1 - from
			if int(from) == start {
				fs[i] = tmp
				break
			}
			fs[i] = fs[from]
			i = int(from)
		}
	}
}

// Summary counts what a scan saw and found.
type Summary struct {
	Objects    int              `json:"objects"`
	Findings   int              `json:"findings"`
	BySeverity map[Severity]int `json:"bySeverity"`
	Suppressed int              `json:"suppressed"`
	Errors     int              `json:"errors"`
	// RootCauses counts the fields the unsuppressed findings come from (RootCauses): what
	// a person fixes, where Findings counts the controls that fail.
	RootCauses int `json:"rootCauses"`
	// Skipped counts the files a directory walk read that hold no Kubernetes object
	// (CI workflows, package.json, values files outside a chart); Report.Skipped names them.
	Skipped int `json:"skipped,omitempty"`
}

// Summarize counts the unsuppressed findings by severity and the suppressed ones apart,
// and the root causes of the unsuppressed ones.
func Summarize(objects int, fs []Finding, errors int) Summary {
	s := Summary{Objects: objects, BySeverity: map[Severity]int{}, Errors: errors}
	var bySeverity [Critical + 1]int
	for i := range fs {
		f := &fs[i]
		if f.Suppressed != nil {
			s.Suppressed++
			continue
		}
		s.Findings++
		if f.Severity >= Info && f.Severity <= Critical {
			bySeverity[f.Severity]++
		} else {
			s.BySeverity[f.Severity]++
		}
	}
	for _, sev := range Severities {
		s.BySeverity[sev] += bySeverity[sev]
	}
	s.RootCauses = countRootCauses(fs)
	return s
}

// MarshalJSON writes bySeverity with severity names as keys in a fixed order.
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain struct {
		Objects    int             `json:"objects"`
		Findings   int             `json:"findings"`
		BySeverity json.RawMessage `json:"bySeverity"`
		Suppressed int             `json:"suppressed"`
		Errors     int             `json:"errors"`
		RootCauses int             `json:"rootCauses"`
		Skipped    int             `json:"skipped,omitempty"`
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, sev := range Severities {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%d", sev.String(), s.BySeverity[sev])
	}
	b.WriteByte('}')
	return json.Marshal(plain{s.Objects, s.Findings, json.RawMessage(b.String()), s.Suppressed, s.Errors, s.RootCauses, s.Skipped})
}

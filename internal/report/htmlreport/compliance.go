package htmlreport

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// compliance is the page's view of the frameworks: the Pod Security level of each
// namespace, and for CIS, NSA/CISA and MITRE ATT&CK each control that a rule of the scan
// checks or a finding names, with the rules behind it and the findings that fail it.
type compliance struct {
	PSS   []pssNamespace `json:"pss"`
	CIS   []control      `json:"cis"`
	NSA   []control      `json:"nsa"`
	MITRE []control      `json:"mitre"`
}

// pssNamespace is the strictest Pod Security Standards level a namespace's workloads
// meet, judged from the unsuppressed findings whose frameworks.pss names a check: any
// baseline check failed leaves "privileged", only restricted checks failed leave
// "baseline", none leaves "restricted".
type pssNamespace struct {
	Namespace string `json:"namespace"`
	Level     string `json:"level"`
	// Baseline and Restricted are the checks failed at each level, by name.
	Baseline   []string `json:"baseline,omitempty"`
	Restricted []string `json:"restricted,omitempty"`
	// Findings counts the unsuppressed Pod Security findings; Suppressed those left out.
	Findings   int `json:"findings"`
	Suppressed int `json:"suppressed,omitempty"`
}

// control is one control of a framework.
type control struct {
	ID string `json:"id"`
	// Section groups CIS recommendations ("5.2") and is titled by SectionTitle.
	Section      string `json:"section,omitempty"`
	SectionTitle string `json:"sectionTitle,omitempty"`
	// Rules are the rules that check the control; Failing those of them with
	// unsuppressed findings, which Findings counts.
	Rules    []string `json:"rules"`
	Failing  []string `json:"failing,omitempty"`
	Findings int      `json:"findings"`
}

func buildCompliance(fs []finding.Finding, rules []*rule.Rule, namespaces []string) compliance {
	c := compliance{
		PSS:   pssLevels(fs, namespaces),
		CIS:   controls(fs, rules, func(f finding.Frameworks) string { return f.CIS }, compareCIS),
		NSA:   controls(fs, rules, func(f finding.Frameworks) string { return f.NSA }, strings.Compare),
		MITRE: controls(fs, rules, func(f finding.Frameworks) string { return f.MITRE }, strings.Compare),
	}
	for i := range c.CIS {
		c.CIS[i].Section, c.CIS[i].SectionTitle = cisSection(c.CIS[i].ID)
	}
	return c
}

// pssLevels lists every namespace of the scan (namespaces) and every one the findings
// name (a namespaced resource's, or a Namespace object's own) with the level it meets;
// a namespace without a failed check meets restricted.
func pssLevels(fs []finding.Finding, namespaces []string) []pssNamespace {
	byName := map[string]*pssNamespace{}
	get := func(ns string) *pssNamespace {
		p := byName[ns]
		if p == nil {
			p = &pssNamespace{Namespace: ns}
			byName[ns] = p
		}
		return p
	}
	for _, ns := range namespaces {
		get(ns)
	}
	for _, f := range fs {
		switch {
		case f.Resource.Kind == "Namespace" && f.Resource.Namespace == "":
			get(f.Resource.Name)
		case f.Resource.Namespace != "":
			get(f.Resource.Namespace)
		}
		level, check, ok := strings.Cut(f.Frameworks.PSS, "/")
		if !ok || (level != "baseline" && level != "restricted") {
			continue
		}
		// A workload with no namespace set is listed under "" only when it fails a check.
		p := get(f.Resource.Namespace)
		if f.Suppressed != nil {
			p.Suppressed++
			continue
		}
		p.Findings++
		if level == "baseline" {
			p.Baseline = append(p.Baseline, check)
		} else {
			p.Restricted = append(p.Restricted, check)
		}
	}
	out := make([]pssNamespace, 0, len(byName))
	for _, p := range byName {
		slices.Sort(p.Baseline)
		p.Baseline = slices.Compact(p.Baseline)
		slices.Sort(p.Restricted)
		p.Restricted = slices.Compact(p.Restricted)
		switch {
		case len(p.Baseline) > 0:
			p.Level = "privileged"
		case len(p.Restricted) > 0:
			p.Level = "baseline"
		default:
			p.Level = "restricted"
		}
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b pssNamespace) int { return strings.Compare(a.Namespace, b.Namespace) })
	return out
}

// controls lists the controls of one framework (id reads a control from frameworks) that
// the rules check or the findings name, in the order compare gives.
func controls(fs []finding.Finding, rules []*rule.Rule, id func(finding.Frameworks) string, compare func(a, b string) int) []control {
	byID := map[string]*control{}
	get := func(c string) *control {
		p := byID[c]
		if p == nil {
			p = &control{ID: c}
			byID[c] = p
		}
		return p
	}
	for _, r := range rules {
		if c := id(r.Frameworks); c != "" {
			p := get(c)
			p.Rules = append(p.Rules, r.ID)
		}
	}
	for _, f := range fs {
		c := id(f.Frameworks)
		if c == "" {
			continue
		}
		p := get(c)
		if !slices.Contains(p.Rules, f.RuleID) {
			p.Rules = append(p.Rules, f.RuleID)
		}
		if f.Suppressed == nil {
			p.Findings++
			if !slices.Contains(p.Failing, f.RuleID) {
				p.Failing = append(p.Failing, f.RuleID)
			}
		}
	}
	out := make([]control, 0, len(byID))
	for _, p := range byID {
		slices.Sort(p.Rules)
		slices.Sort(p.Failing)
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b control) int { return compare(a.ID, b.ID) })
	return out
}

// cisSections are the titles of the CIS Kubernetes Benchmark's sections.
var cisSections = map[string]string{
	"1.1": "Control plane node configuration files",
	"1.2": "API server",
	"1.3": "Controller manager",
	"1.4": "Scheduler",
	"2":   "etcd",
	"3.1": "Authentication and authorization",
	"3.2": "Logging",
	"4.1": "Worker node configuration files",
	"4.2": "Kubelet",
	"4.3": "kube-proxy",
	"5.1": "RBAC and service accounts",
	"5.2": "Pod Security Standards",
	"5.3": "Network policies and CNI",
	"5.4": "Secrets management",
	"5.5": "Extensible admission control",
	"5.6": "General policies",
}

// cisSection is the section of a CIS recommendation: its first two numbers ("5.2" of
// "5.2.10"), or the first alone for etcd's ("2" of "2.3").
func cisSection(id string) (section, title string) {
	parts := strings.Split(id, ".")
	section = parts[0]
	if section != "2" && len(parts) > 2 {
		section = parts[0] + "." + parts[1]
	}
	return section, cisSections[section]
}

// compareCIS orders recommendation IDs by their numbers: 5.2.9 before 5.2.10.
func compareCIS(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, errA := strconv.Atoi(pa[i])
		nb, errB := strconv.Atoi(pb[i])
		if errA != nil || errB != nil {
			if c := strings.Compare(pa[i], pb[i]); c != 0 {
				return c
			}
			continue
		}
		if c := cmp.Compare(na, nb); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(pa), len(pb))
}

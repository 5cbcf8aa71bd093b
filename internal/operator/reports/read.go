package reports

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// Report is one report as read back: its parts, 1..N in order.
type Report struct {
	// Namespace is the report's namespace, "" for a cluster report.
	Namespace string
	// Name is the report's name, which is also its first part's.
	Name  string
	Parts []*unstructured.Unstructured
}

func (r Report) String() string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// tornReportError is a report whose parts come from different writes: the operator is
// rewriting it. Reading again soon finds it whole.
type tornReportError struct {
	report string
	why    string
}

func (e *tornReportError) Error() string {
	return fmt.Sprintf("report %s is being rewritten (%s); try again", e.report, e.why)
}

// Assemble groups report objects into reports, each with its parts 1..N in order, sorted
// by namespace and name. Part n of a report named NAME is NAME-part-n (NAME itself for
// part 1) and carries the labels reports.moat.dev/part=n and reports.moat.dev/parts=N; a
// report without those labels (written by `moat scan -o policyreport`) is one part. Parts
// numbered beyond part 1's count are left over from a longer report and about to be
// deleted. A report missing a part, or whose parts disagree on the count, is being
// rewritten: the error says so, and reading again soon finds it whole.
func Assemble(objs []*unstructured.Unstructured) ([]Report, error) {
	type key struct{ ns, base string }
	byKey := map[key]map[int]*unstructured.Unstructured{}
	var order []key
	for _, u := range objs {
		n, err := partLabel(u)
		if err != nil {
			return nil, err
		}
		base := u.GetName()
		if n > 1 {
			base = strings.TrimSuffix(base, "-part-"+strconv.Itoa(n))
		}
		k := key{u.GetNamespace(), base}
		if byKey[k] == nil {
			byKey[k] = map[int]*unstructured.Unstructured{}
			order = append(order, k)
		}
		byKey[k][n] = u
	}
	slices.SortFunc(order, func(a, b key) int { return strings.Compare(a.ns+"/"+a.base, b.ns+"/"+b.base) })
	out := make([]Report, 0, len(order))
	for _, k := range order {
		r, err := assembleParts(Report{Namespace: k.ns, Name: k.base}, byKey[k])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// assembleParts puts the parts of report r in order: the count is part 1's.
func assembleParts(r Report, parts map[int]*unstructured.Unstructured) (Report, error) {
	first := parts[1]
	if first == nil {
		return Report{}, &tornReportError{r.String(), "its first part is missing"}
	}
	total := partsLabel(first)
	for n := 1; n <= total; n++ {
		p := parts[n]
		if p == nil {
			return Report{}, &tornReportError{r.String(), fmt.Sprintf("part %d of %d is missing", n, total)}
		}
		if got := partsLabel(p); got != total {
			return Report{}, &tornReportError{r.String(), fmt.Sprintf("part %d says the report has %d parts, part 1 says %d", n, got, total)}
		}
		r.Parts = append(r.Parts, p)
	}
	return r, nil
}

// partLabel reads a report object's part number: its label, and its name must agree.
func partLabel(u *unstructured.Unstructured) (int, error) {
	v, ok := u.GetLabels()[LabelPart]
	if !ok {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("report %s: label %s=%q is not a part number", objectName(u), LabelPart, v)
	}
	if n > 1 && !strings.HasSuffix(u.GetName(), "-part-"+v) {
		return 0, fmt.Errorf("report %s: label %s=%q does not match its name (part %d is named NAME-part-%d)", objectName(u), LabelPart, v, n, n)
	}
	return n, nil
}

// partsLabel reads how many parts the report of an object has; 1 without the label, or
// when it is not a number (Assemble then reads only the first part).
func partsLabel(u *unstructured.Unstructured) int {
	n, err := strconv.Atoi(u.GetLabels()[LabelParts])
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// objectName names a report object in errors: KIND/NAMESPACE/NAME.
func objectName(u *unstructured.Unstructured) string {
	if u.GetNamespace() == "" {
		return u.GetKind() + "/" + u.GetName()
	}
	return u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
}

// Contents are what reports record, read back as `moat scan` reports it.
type Contents struct {
	// Findings are sorted, and hold the suppressed ones (skip results) too.
	Findings []finding.Finding
	// Errors are the input errors the operator recorded and the results that cannot be
	// read, each naming its report and result.
	Errors []string
	// Summary counts the findings and errors. Its Objects counts the resources the
	// findings name: a report does not say how many objects the operator judged.
	Summary finding.Summary
}

// ContentsOf reads every part of every report in rs: see Findings.
func ContentsOf(rs []Report) Contents {
	var c Contents
	for _, r := range rs {
		for _, p := range r.Parts {
			fs, errs := Findings(p)
			c.Findings = append(c.Findings, fs...)
			c.Errors = append(c.Errors, errs...)
		}
	}
	finding.Sort(c.Findings)
	resources := map[finding.Resource]bool{}
	for _, f := range c.Findings {
		resources[f.Resource] = true
	}
	c.Summary = finding.Summarize(len(resources), c.Findings, len(c.Errors))
	return c
}

// readResult is one result of a Report or PolicyReport as Moat writes it (see result):
// only the fields a finding is read back from, so that fields Moat does not read (a
// timestamp another writer set otherwise) do not make a result unreadable.
type readResult struct {
	Source     string            `json:"source"`
	Policy     string            `json:"policy"`
	Rule       string            `json:"rule"`
	Category   string            `json:"category"`
	Severity   string            `json:"severity"`
	Result     string            `json:"result"`
	Message    string            `json:"message"`
	Properties map[string]string `json:"properties"`
	Resources  []objectRef       `json:"resources"`
}

// Findings converts the results of one report object back into findings: the inverse of
// Build's mapping. Results of other sources, and pass and warn results (Moat writes
// none), are left out. Input errors (policy moat/input, result error) are returned as
// errors, as is every result that cannot be read, each naming the report and the
// result's index and field. The remediation, which a report does not carry, is the
// rule's in the registry (and the title too, when the result has none).
func Findings(u *unstructured.Unstructured) ([]finding.Finding, []string) {
	where := objectName(u)
	raw, found, err := unstructured.NestedSlice(u.Object, "results")
	if err != nil {
		return nil, []string{fmt.Sprintf("report %s: results: %v", where, err)}
	}
	if !found {
		return nil, nil
	}
	var fs []finding.Finding
	var errs []string
	for i, item := range raw {
		at := fmt.Sprintf("report %s: results[%d]", where, i)
		m, ok := item.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: not an object", at))
			continue
		}
		var r readResult
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &r); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", at, err))
			continue
		}
		if r.Source != Source {
			continue
		}
		switch r.Result {
		case resultFail, resultSkip:
			f, err := r.finding()
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", at, err))
				continue
			}
			fs = append(fs, f)
		case resultError:
			errs = append(errs, r.Message)
		}
	}
	return fs, errs
}

// finding is the finding a fail or skip result records.
func (r *readResult) finding() (finding.Finding, error) {
	sev, err := finding.ParseSeverity(r.Severity)
	if err != nil {
		return finding.Finding{}, fmt.Errorf("severity: %w", err)
	}
	if r.Policy == "" {
		return finding.Finding{}, errors.New("policy: empty (it is the rule's ID)")
	}
	if len(r.Resources) == 0 || r.Resources[0].Kind == "" || r.Resources[0].Name == "" {
		return finding.Finding{}, errors.New("resources: no kind and name of the object the result is about")
	}
	p := r.Properties
	res := r.Resources[0]
	f := finding.Finding{
		RuleID:   r.Policy,
		Severity: sev,
		Title:    p["title"],
		Message:  r.Message,
		Resource: finding.Resource{APIVersion: res.APIVersion, Kind: res.Kind, Namespace: res.Namespace, Name: res.Name},
		Path:     p["path"],
		Frameworks: finding.Frameworks{
			PSS: p["pss"], CIS: p["cis"], NSA: p["nsa"], MITRE: p["mitre"],
		},
	}
	if file := p["file"]; file != "" {
		f.Source = &finding.Source{File: file, Origin: p["origin"]}
		if line := p["line"]; line != "" {
			n, err := strconv.Atoi(line)
			if err != nil || n < 1 {
				return finding.Finding{}, fmt.Errorf("properties.line: %q is not a line number", line)
			}
			f.Source.Line = n
		}
	}
	if r.Result == resultSkip {
		f.Suppressed = &finding.Suppression{Kind: p["suppressedBy"], Reason: p["suppressionReason"]}
	}
	if rl := rule.Get(f.RuleID); rl != nil {
		f.Remediation = rl.Remediation
		if f.Title == "" {
			f.Title = rl.Title
		}
	}
	return f, nil
}

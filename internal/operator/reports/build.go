package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/moat-dev/moat/internal/finding"
)

// Options says which API the reports are written in and how large one object may be.
type Options struct {
	API API
	// MaxBytes is the most bytes of one report object as JSON, as the API server stores
	// it; 0 is DefaultMaxBytes, and less than 4 KiB is taken as 4 KiB. A part is cut to leave serverReserve of it for what the
	// server adds (uid, resourceVersion, managedFields).
	MaxBytes int
	// Now is the time the results are stamped with; nil is time.Now.
	Now func() time.Time
}

// serverReserve is the part of MaxBytes left for the metadata the API server adds to an
// object (uid, resourceVersion, generation, creationTimestamp, managedFields): about 700
// bytes for a report written by one manager, doubled for room.
const serverReserve = 2 << 10

// hashVersion starts every hash: a change of how results are written changes it, so that
// reports written by an older Moat are rewritten.
const hashVersion = "moat-reports/1\n"

// minMaxBytes is the least MaxBytes taken: below it, the server's reserve and a part's
// envelope would leave no room for results.
const minMaxBytes = 4 << 10

func (o Options) maxBytes() int {
	if o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return max(o.MaxBytes, minMaxBytes)
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

// result is one result of a report: the ReportResult of openreports.io/v1alpha1 and the
// PolicyReportResult of wgpolicyk8s.io/v1alpha2 have the same fields. Timestamp is last:
// sizes rely on it (see encodeResults).
type result struct {
	Category   string            `json:"category,omitempty"`
	Message    string            `json:"message,omitempty"`
	Policy     string            `json:"policy"`
	Properties map[string]string `json:"properties,omitempty"`
	Resources  []objectRef       `json:"resources,omitempty"`
	Result     string            `json:"result"`
	Rule       string            `json:"rule,omitempty"`
	Scored     bool              `json:"scored"`
	Severity   string            `json:"severity,omitempty"`
	Source     string            `json:"source"`
	Timestamp  *timestamp        `json:"timestamp,omitempty"`
}

// objectRef is the part of a core/v1 ObjectReference that names a finding's resource.
type objectRef struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// timestamp is a meta/v1 Timestamp.
type timestamp struct {
	Seconds int64 `json:"seconds"`
	Nanos   int32 `json:"nanos"`
}

type summary struct {
	Pass  int `json:"pass"`
	Fail  int `json:"fail"`
	Warn  int `json:"warn"`
	Error int `json:"error"`
	Skip  int `json:"skip"`
}

// report is one report object (one part) as it is encoded.
type report struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   objectMeta        `json:"metadata"`
	Source     string            `json:"source,omitempty"`
	Results    []json.RawMessage `json:"results"`
	Summary    summary           `json:"summary"`
}

type objectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// Result values.
const (
	resultFail  = "fail"
	resultSkip  = "skip"
	resultError = "error"
)

// findingResult maps a finding to its result as `moat scan -o policyreport` does: policy
// the rule ID, rule its slug, category its domain, result fail, or skip for a suppressed
// finding, and properties with the field path, file, line, origin, framework controls and
// suppression reason.
func findingResult(f *finding.Finding) result {
	domain, slug, ok := strings.Cut(f.RuleID, "/")
	if !ok {
		domain, slug = "", f.RuleID
	}
	r := result{
		Category:   domain,
		Message:    f.Message,
		Policy:     f.RuleID,
		Properties: findingProperties(f),
		Resources: []objectRef{{
			APIVersion: f.Resource.APIVersion,
			Kind:       f.Resource.Kind,
			Namespace:  f.Resource.Namespace,
			Name:       f.Resource.Name,
		}},
		Result:   resultFail,
		Rule:     slug,
		Scored:   true,
		Severity: f.Severity.String(),
		Source:   Source,
	}
	if f.Suppressed != nil {
		r.Result, r.Scored = resultSkip, false
	}
	return r
}

// findingProperties are the result's properties: what a result has no field for.
func findingProperties(f *finding.Finding) map[string]string {
	p := map[string]string{"title": f.Title}
	set := func(k, v string) {
		if v != "" {
			p[k] = v
		}
	}
	set("path", f.Path)
	set("cis", f.Frameworks.CIS)
	set("nsa", f.Frameworks.NSA)
	set("mitre", f.Frameworks.MITRE)
	set("pss", f.Frameworks.PSS)
	if s := f.Source; s != nil {
		set("file", s.File)
		set("origin", s.Origin)
		if s.Line > 0 {
			p["line"] = strconv.Itoa(s.Line)
		}
	}
	if s := f.Suppressed; s != nil {
		set("suppressedBy", s.Kind)
		set("suppressionReason", s.Reason)
	}
	return p
}

// inputErrorResult is an input error's result: policy moat/input, result error. It says a
// part of the scan is missing.
func inputErrorResult(msg string) result {
	return result{
		Category: "input",
		Message:  msg,
		Policy:   InputErrorPolicy,
		Result:   resultError,
		Rule:     "input",
		Source:   Source,
	}
}

// maxStampLen is the most a timestamp adds to a result: `,"timestamp":{...}` before its
// closing brace, with the longest numbers. Parts are cut as if every timestamp were this
// long, so that where they are cut does not depend on the time (the nanoseconds have 1 to
// 9 digits): a Sync at another time of the same findings makes the same parts, and their
// hashes match.
var maxStampLen = len(`,"timestamp":`) + len(mustMarshal(timestamp{Seconds: math.MinInt64, Nanos: 999_999_999}))

// encoded is one result as JSON without its timestamp (what the hash covers), and what
// it counts for in the summary.
type encoded struct {
	json    []byte
	outcome string
}

// Build returns the report objects Sync would write for namespace ns ("" is the cluster
// report): fs in the order finding.Sort gives, then errs sorted, as results (errs are
// the input errors; Sync passes them only for the cluster report), cut into parts of at
// most MaxBytes each. A namespace without findings gets one empty report. Build does not
// change fs or errs.
func Build(opt Options, ns string, fs []finding.Finding, errs []string) []*unstructured.Unstructured {
	ts := opt.now()
	stamp := mustMarshal(timestamp{Seconds: ts.Unix(), Nanos: int32(ts.Nanosecond())})

	envelope := envelopeSize(opt, ns, len(fs)+len(errs))
	budget := opt.maxBytes() - serverReserve - envelope
	res := encodeResults(fs, errs, budget-maxStampLen)
	parts := split(res, maxStampLen, budget)

	out := make([]*unstructured.Unstructured, len(parts))
	for i, p := range parts {
		out[i] = partObject(opt, ns, i+1, len(parts), p, stamp)
	}
	return out
}

// encodeResults encodes the results in their report order, each cut to at most limit
// bytes where its message allows (see fitResult).
func encodeResults(fs []finding.Finding, errs []string, limit int) []encoded {
	sorted := slices.Clone(fs)
	finding.Sort(sorted)
	msgs := slices.Clone(errs)
	slices.Sort(msgs)

	out := make([]encoded, 0, len(sorted)+len(msgs))
	for i := range sorted {
		r := findingResult(&sorted[i])
		out = append(out, encoded{fitResult(r, limit), r.Result})
	}
	for _, m := range msgs {
		r := inputErrorResult(m)
		out = append(out, encoded{fitResult(r, limit), r.Result})
	}
	return out
}

// truncated ends a message cut so that its result fits in a report.
const truncated = "… (truncated)"

// fitResult encodes r, cutting its message when the result alone would be over limit
// bytes: a report must stay under the API server's size limit whatever a rule writes.
// A result that is over the limit for other reasons is left whole.
func fitResult(r result, limit int) []byte {
	b := mustMarshal(r)
	for len(b) > limit && r.Message != "" && r.Message != truncated {
		over := len(b) - limit + len(truncated)
		keep := strings.TrimSuffix(r.Message, truncated)
		keep = keep[:max(0, len(keep)-over)]
		for !utf8.ValidString(keep) { // do not cut a character in two
			keep = keep[:len(keep)-1]
		}
		r.Message = keep + truncated
		b = mustMarshal(r)
	}
	return b
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("reports: encode %T: %v", v, err)) // plain strings, ints and maps
	}
	return b
}

// split cuts the results into parts, in order, each as many results as fit in budget
// bytes (a result's size plus stampLen for its timestamp, and a comma between results). A part has at
// least one result, and there is at least one part.
func split(res []encoded, stampLen, budget int) [][]encoded {
	var parts [][]encoded
	start, size := 0, 0
	for i, r := range res {
		n := len(r.json) + stampLen
		if i > start {
			n++ // the comma
		}
		if i > start && size+n > budget {
			parts = append(parts, res[start:i])
			start, size, n = i, 0, n-1
		}
		size += n
	}
	return append(parts, res[start:])
}

// envelopeSize is an upper bound of the size of a part without its results: its name,
// labels and summary are written with the largest numbers a report of n results can have.
func envelopeSize(opt Options, ns string, n int) int {
	most := n + 1 // no more parts than results, and one for an empty report
	r := envelope(opt, ns, most, most, strings.Repeat("0", sha256.Size*2))
	r.Summary = summary{Pass: most, Fail: most, Warn: most, Error: most, Skip: most}
	return len(mustMarshal(r))
}

// envelope is a part without results or summary.
func envelope(opt Options, ns string, part, parts int, hash string) report {
	info := opt.API.info()
	kind := info.clusterKind
	if ns != "" {
		kind = info.kind
	}
	r := report{
		APIVersion: info.gv.String(),
		Kind:       kind,
		Metadata: objectMeta{
			Name:      PartName(ReportName(ns), part),
			Namespace: ns,
			Labels: map[string]string{
				LabelManagedBy: "moat",
				LabelName:      "moat",
				LabelPart:      strconv.Itoa(part),
				LabelParts:     strconv.Itoa(parts),
			},
			Annotations: map[string]string{AnnotationHash: hash},
		},
		Results: []json.RawMessage{},
	}
	if info.reportSource {
		r.Source = Source
	}
	return r
}

// partObject is part n of total as an object: its results stamped, its summary counted
// and its content hashed.
func partObject(opt Options, ns string, n, total int, res []encoded, stamp []byte) *unstructured.Unstructured {
	name := PartName(ReportName(ns), n)
	h := sha256.New()
	fmt.Fprintf(h, "%s%s\n%s\n%s\n%d/%d\n", hashVersion, opt.API, ns, name, n, total)
	var sum summary
	results := make([]json.RawMessage, len(res))
	for i, r := range res {
		h.Write(r.json)
		h.Write([]byte{'\n'})
		switch r.outcome {
		case resultFail:
			sum.Fail++
		case resultSkip:
			sum.Skip++
		case resultError:
			sum.Error++
		}
		results[i] = withTimestamp(r.json, stamp)
	}
	rep := envelope(opt, ns, n, total, hex.EncodeToString(h.Sum(nil)))
	rep.Results = results
	rep.Summary = sum

	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(mustMarshal(rep)); err != nil {
		panic(fmt.Sprintf("reports: decode own report %s: %v", name, err))
	}
	return u
}

// withTimestamp adds the timestamp to an encoded result: the timestamp is the result's
// last field, so it goes before the closing brace.
func withTimestamp(b, stamp []byte) json.RawMessage {
	out := make([]byte, 0, len(b)+len(`,"timestamp":`)+len(stamp))
	out = append(out, b[:len(b)-1]...)
	out = append(out, `,"timestamp":`...)
	out = append(out, stamp...)
	return append(out, '}')
}

package webhook

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/moat-dev/moat/internal/admission"
	"github.com/moat-dev/moat/internal/finding"
)

// Bounds of a response. A pod with 300 containers gave 2,101 warnings and a 1.1 MB
// response from an 11 KB request; the API server keeps that in memory, copies
// warnings into the client's response headers and audit annotations into every audit
// event. The bounds keep the answer useful (the most severe findings and the count of
// the rest) and small.
const (
	// MaxWarnings is the most warnings a response carries, then one saying how many
	// more there are.
	MaxWarnings = 20
	// MaxWarningBytes bounds the warnings together: the API server itself truncates
	// warnings beyond 4 KiB in all.
	MaxWarningBytes = 4 << 10
	// MaxWarningLineBytes bounds one warning: the length to which the API server cuts
	// every warning once they add up to more than 4096 characters (a finding's
	// warning is worded to fit: see admission.WarningText).
	MaxWarningLineBytes = admission.MaxWarningLen
	// MaxLineBytes bounds one line of a denial message.
	MaxLineBytes = 512
	// MaxDeniedListed is the most findings a denial message names, the most severe
	// first, with the total count.
	MaxDeniedListed = 10
	// MaxMessageBytes bounds the message of any refusal.
	MaxMessageBytes = 8 << 10
	// MaxAnnotationBytes bounds one audit annotation value.
	MaxAnnotationBytes = 4 << 10
)

// bound keeps d.Response within the bounds above, in place. It changes nothing in a
// response that is already within them.
func bound(d admission.Decision) {
	resp := d.Response
	if resp == nil {
		return
	}
	resp.Warnings = boundWarnings(resp.Warnings, d.Findings)
	if resp.Result != nil {
		nDenied := 0
		for i := range d.Findings {
			if d.Findings[i].Mode == admission.Enforce {
				nDenied++
			}
		}
		if !resp.Allowed && nDenied > 0 && (nDenied > MaxDeniedListed || len(resp.Result.Message) > MaxMessageBytes) {
			denied := make([]admission.Judged, 0, nDenied)
			for _, j := range d.Findings {
				if j.Mode == admission.Enforce {
					denied = append(denied, j)
				}
			}
			resp.Result.Message = denyMessage(denied)
		}
		resp.Result.Message = clip(resp.Result.Message, MaxMessageBytes)
	}
	for k, v := range resp.AuditAnnotations {
		if len(v) <= MaxAnnotationBytes {
			continue
		}
		if k == "findings" {
			kept, omitted := boundJSONArray(v, MaxAnnotationBytes)
			resp.AuditAnnotations[k] = kept
			resp.AuditAnnotations["findings-omitted"] = strconv.Itoa(omitted)
			continue
		}
		resp.AuditAnnotations[k] = clip(v, MaxAnnotationBytes)
	}
}

// boundWarnings keeps at most MaxWarnings warnings within MaxWarningBytes, each
// clipped to MaxWarningLineBytes with its control characters made spaces, each text once,
// then says how many were left out. Warnings that are not a finding's (what became of
// an ignore annotation) go first; findings' warnings keep their order, the most severe
// first.
func boundWarnings(ws []string, findings []admission.Judged) []string {
	if withinBounds(ws) {
		return ws
	}
	// The warnings of findings, in the order of byRule; the rest first, as they came.
	ofFinding := map[string]int{}
	var warned []admission.Judged
	for _, j := range findings {
		if j.Mode == admission.Warn {
			ofFinding[admission.WarningText(j.Finding)]++
			warned = append(warned, j)
		}
	}
	ordered := make([]string, 0, len(ws))
	left := maps.Clone(ofFinding)
	for _, w := range ws {
		if left[w] > 0 {
			left[w]--
			continue
		}
		ordered = append(ordered, w)
	}
	present := map[string]int{}
	for _, w := range ws {
		if ofFinding[w] > 0 {
			present[w]++
		}
	}
	for _, j := range byRule(warned) {
		if w := admission.WarningText(j.Finding); present[w] > 0 {
			present[w]--
			ordered = append(ordered, w)
		}
	}
	out := make([]string, 0, MaxWarnings+1)
	size, more := 0, 0
	shown := make(map[string]bool, MaxWarnings)
	for _, w := range ordered {
		w = warningText(w)
		switch {
		case shown[w]: // the API server shows a text once anyway
		case more > 0 || len(out) == MaxWarnings || size+len(w) > MaxWarningBytes-100:
			more++
		default:
			shown[w] = true
			out = append(out, w)
			size += len(w)
		}
	}
	if more > 0 {
		out = append(out, fmt.Sprintf("moat: and %d more %s not shown; moat scan on the object lists them all", more, plural(more, "finding")))
	}
	return out
}

// withinBounds says whether ws needs no bounding: few and short enough, each text
// once, and no control characters.
func withinBounds(ws []string) bool {
	if len(ws) > MaxWarnings {
		return false
	}
	size := 0
	for i, w := range ws {
		size += len(w)
		if len(w) > MaxWarningLineBytes || size > MaxWarningBytes || hasControl(w) || slices.Contains(ws[:i], w) {
			return false
		}
	}
	return true
}

// warningText is w as a warning the API server passes on: at most MaxWarningLineBytes, and
// without control characters (the API server drops a warning that has any, a line
// break included), which become spaces.
func warningText(w string) string {
	w = clip(w, MaxWarningLineBytes)
	if !hasControl(w) {
		return w
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, w)
}

// hasControl says whether s has a control character (C0, DEL or C1).
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b == 0x7f {
			return true
		} else if b >= utf8.RuneSelf {
			return strings.IndexFunc(s[i:], unicode.IsControl) >= 0
		}
	}
	return false
}

// denyMessage names the first MaxDeniedListed enforced findings in the order of
// byRule, and the count of all of them.
func denyMessage(denied []admission.Judged) string {
	sorted := byRule(denied)
	rules := map[string]bool{}
	for _, j := range sorted {
		rules[j.RuleID] = true
	}
	var b strings.Builder
	n := min(len(sorted), MaxDeniedListed)
	fmt.Fprintf(&b, "moat: denied by %d %s from %d %s", len(sorted), plural(len(sorted), "finding"), len(rules), plural(len(rules), "rule"))
	if n < len(sorted) {
		fmt.Fprintf(&b, "; %d shown, each rule once before any twice, the most severe first", n)
	}
	for _, j := range sorted[:n] {
		b.WriteString("\n- " + clip(admission.Describe(*j.Finding), MaxLineBytes))
	}
	if more := len(sorted) - n; more > 0 {
		fmt.Fprintf(&b, "\n- and %d more; moat scan on the object lists them all", more)
	}
	return b.String()
}

// byRule orders findings for a bounded list: the most severe first, and each rule's
// first finding before any rule's second, so that 300 findings of one rule do not hide
// the one finding of another.
func byRule(js []admission.Judged) []admission.Judged {
	sorted := slices.Clone(js)
	slices.SortStableFunc(sorted, func(a, b admission.Judged) int { return finding.Compare(*a.Finding, *b.Finding) })
	type ranked struct {
		admission.Judged
		rank int // how many of the rule's findings come before
	}
	rs := make([]ranked, len(sorted))
	seen := map[string]int{}
	for i, j := range sorted {
		rs[i] = ranked{j, seen[j.RuleID]}
		seen[j.RuleID]++
	}
	slices.SortStableFunc(rs, func(a, b ranked) int { return a.rank - b.rank })
	out := make([]admission.Judged, len(rs))
	for i, r := range rs {
		out[i] = r.Judged
	}
	return out
}

// boundJSONArray keeps the leading elements of a JSON array that fit in max bytes
// and returns it with the number left out; a value that is not an array is clipped.
func boundJSONArray(v string, max int) (string, int) {
	var elems []json.RawMessage
	if err := json.Unmarshal([]byte(v), &elems); err != nil {
		return clip(v, max), 0
	}
	var b strings.Builder
	b.WriteByte('[')
	kept := 0
	for _, e := range elems {
		if b.Len()+len(e)+2 > max {
			break
		}
		if kept > 0 {
			b.WriteByte(',')
		}
		b.Write(e)
		kept++
	}
	b.WriteByte(']')
	return b.String(), len(elems) - kept
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut with "…".
func clip(s string, n int) string { return admission.Clip(s, n) }

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func totalLen(ss []string) int {
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	return n
}

func maxLen(ss []string) int {
	n := 0
	for _, s := range ss {
		n = max(n, len(s))
	}
	return n
}

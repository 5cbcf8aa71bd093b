package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/moat-dev/moat/internal/admission"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/rule"
)

// A wide pod's answer stays within the bounds, and each bounded part says how many of
// the findings it leaves out: exactly those the reviewer found and the part does not
// show.
func TestBoundedAnswerCountsWhatItLeavesOut(t *testing.T) {
	rev, err := admission.NewReviewer(rule.All(), &exceptions.Config{}, "latest", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, Options{}, true)
	h := r.srv.Handler()
	moreWarnings := regexp.MustCompile(`^moat: and (\d+) more findings? not shown; moat scan on the object lists them all$`)
	moreDenied := regexp.MustCompile(`\n- and (\d+) more; moat scan on the object lists them all$`)
	for _, c := range []struct {
		containers int
		bounded    bool // some findings are left out
	}{
		{1, false},
		{60, true},
		{300, true},
	} {
		t.Run(fmt.Sprintf("%d containers", c.containers), func(t *testing.T) {
			object := manyContainers(c.containers)
			// What the reviewer found, unbounded.
			all := rev.Decide(&admissionv1.AdmissionRequest{UID: "u", Operation: admissionv1.Create, Namespace: "shop",
				Object: runtime.RawExtension{Raw: []byte(object)}})
			texts := map[string]bool{}
			denied, audited := 0, 0
			for _, j := range all.Findings {
				switch j.Mode {
				case admission.Enforce:
					denied++
				case admission.Warn:
					texts[warningText(admission.WarningText(j.Finding))] = true
				default:
					audited++
				}
			}

			req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(reviewBody("u-wide", object)))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			var out admissionv1.AdmissionReview
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Response == nil || out.Response.Result == nil {
				t.Fatalf("HTTP %d, not a denial: %v\n%.300s", w.Code, err, w.Body.Bytes())
			}
			res := out.Response
			t.Logf("%d findings (%d denied, %d warned, %d audited): answer of %d bytes", len(all.Findings), denied, len(texts), audited, w.Body.Len())
			if w.Body.Len() > 16<<10 {
				t.Errorf("answer of %d bytes, want at most 16 KiB", w.Body.Len())
			}

			// Warnings: at most MaxWarnings of them within MaxWarningBytes, then the count
			// of the rest.
			ws := res.Warnings
			shown, more := len(ws), 0
			if m := moreWarnings.FindStringSubmatch(ws[len(ws)-1]); m != nil {
				shown, more = len(ws)-1, atoi(t, m[1])
			}
			if shown > MaxWarnings || totalLen(ws[:shown]) > MaxWarningBytes || maxLen(ws) > MaxWarningLineBytes {
				t.Errorf("%d warnings shown, %d bytes, the longest %d", shown, totalLen(ws[:shown]), maxLen(ws))
			}
			if shown+more != len(texts) || (more > 0) != c.bounded {
				t.Errorf("%d warnings shown and %d counted as not shown, of %d", shown, more, len(texts))
			}

			// The denial: every finding counted, at most MaxDeniedListed named, the rest counted.
			msg := res.Result.Message
			if !regexp.MustCompile(`^moat: denied by ` + strconv.Itoa(denied) + ` findings?\b`).MatchString(msg) {
				t.Errorf("the denial does not count %d findings: %.100q", denied, msg)
			}
			listed := len(regexp.MustCompile(`\n- \[`).FindAllString(msg, -1))
			left := 0
			if m := moreDenied.FindStringSubmatch(msg); m != nil {
				left = atoi(t, m[1])
			}
			if listed > MaxDeniedListed || listed+left != denied || len(msg) > MaxMessageBytes {
				t.Errorf("the denial names %d and counts %d more of %d findings, in %d bytes", listed, left, denied, len(msg))
			}

			// The audit annotation: whole entries, and the count of those left out.
			var kept []json.RawMessage
			if err := json.Unmarshal([]byte(res.AuditAnnotations["findings"]), &kept); err != nil {
				t.Fatalf("findings annotation: %v", err)
			}
			omitted := 0
			if o, ok := res.AuditAnnotations["findings-omitted"]; ok {
				omitted = atoi(t, o)
			}
			if len(kept)+omitted != audited || len(res.AuditAnnotations["findings"]) > MaxAnnotationBytes {
				t.Errorf("audit annotation keeps %d and omits %d of %d", len(kept), omitted, audited)
			}
		})
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Warnings the API server would drop (a control character) or show once (the same
// text twice) are mended here, so that what the user sees is what the webhook sent.
func TestWarningsAsTheAPIServerPassesThemOn(t *testing.T) {
	long := strings.Repeat("w", MaxWarningLineBytes+10)
	for _, c := range []struct {
		name string
		in   []string
		want []string
	}{
		{"few short warnings are kept as they are", []string{"w1", "w2"}, []string{"w1", "w2"}},
		{"a line break becomes a space", []string{"a\nb", "c"}, []string{"a b", "c"}},
		{"a C1 control character becomes a space", []string{"x\u0085y"}, []string{"x y"}},
		{"the same text twice is sent once", []string{"w", "v", "w"}, []string{"w", "v"}},
		{"a long warning is cut", []string{long}, []string{clip(long, MaxWarningLineBytes)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := boundWarnings(slices.Clone(c.in), nil); !slices.Equal(got, c.want) {
				t.Errorf("boundWarnings(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/moat-dev/moat/internal/admission"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/servertls/tlstest"
)

// FuzzParseReview: any body either parses into a review with a request and a uid or is
// refused with an error; never a panic.
func FuzzParseReview(f *testing.F) {
	for _, b := range fuzzSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseReview(body)
		if err == nil && (r == nil || r.Request == nil || r.Request.UID == "") {
			t.Fatal("parsed without a request and its uid")
		}
	})
}

// fuzzMaxBody is the body limit of FuzzServeValidate: small, so that the limit itself
// is in reach of the fuzzer.
const fuzzMaxBody = 32 << 10

// FuzzServeValidate posts any body to /validate through the whole handler (body limit,
// envelope checks, the reviewer with the default rules, response bounds). The answer
// is an HTTP error of the request's making (400, 413) or an AdmissionReview for the
// request's uid within the response bounds; never a panic, a 500 or a review refused
// for an internal error.
//
// With wrap set, the input is the object of a well-formed review instead of the whole
// body, so that mutations reach the reviewer rather than the JSON envelope.
func FuzzServeValidate(f *testing.F) {
	for _, b := range fuzzSeeds() {
		f.Add(b, false)
	}
	for _, o := range []string{privilegedPod, compliantPod, manyContainers(20), `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}`, `null`, `{}`} {
		f.Add([]byte(o), true)
	}
	ca := tlstest.NewCA(f, "fuzz CA")
	certFile, keyFile := ca.Issue(f, f.TempDir(), tlstest.Cert{Serial: 1})
	srv, err := New(Options{CertFile: certFile, KeyFile: keyFile, MaxBodyBytes: fuzzMaxBody, Timeout: 2 * time.Second, MaxConcurrent: 64})
	if err != nil {
		f.Fatal(err)
	}
	rev, err := admission.NewReviewer(rule.All(), &exceptions.Config{}, "latest", time.Now)
	if err != nil {
		f.Fatal(err)
	}
	srv.SetReviewer(rev)
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, body []byte, wrap bool) {
		if wrap {
			body = reviewBody("u-fuzz", string(body))
		}
		req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if parsed, err := ParseReview(body); err == nil && len(body) <= fuzzMaxBody {
				t.Fatalf("status %d for a review that parses (uid %q): %s", w.Code, parsed.Request.UID, w.Body)
			}
			return
		case http.StatusOK:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		in, err := ParseReview(body)
		if err != nil {
			t.Fatalf("answered 200 to a body that does not parse (%v)", err)
		}
		var out admissionv1.AdmissionReview
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Response == nil {
			t.Fatalf("200 without an AdmissionReview (%v): %s", err, w.Body)
		}
		res := out.Response
		if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" || res.UID != in.Request.UID {
			t.Fatalf("answer %s %s for uid %q, want uid %q", out.APIVersion, out.Kind, res.UID, in.Request.UID)
		}
		if !res.Allowed && res.Result != nil && res.Result.Code == http.StatusInternalServerError {
			t.Fatalf("internal error: %s", res.Result.Message)
		}
		if len(res.Warnings) > MaxWarnings+1 || totalLen(res.Warnings) > MaxWarningBytes+200 || maxLen(res.Warnings) > MaxWarningLineBytes {
			t.Fatalf("%d warnings, %d bytes, the longest %d", len(res.Warnings), totalLen(res.Warnings), maxLen(res.Warnings))
		}
		for _, w := range res.Warnings {
			if hasControl(w) {
				t.Fatalf("warning %q has a control character: the API server would drop it", w)
			}
		}
		if res.Result != nil && len(res.Result.Message) > MaxMessageBytes {
			t.Fatalf("message of %d bytes", len(res.Result.Message))
		}
		for k, v := range res.AuditAnnotations {
			if len(v) > MaxAnnotationBytes {
				t.Fatalf("audit annotation %s of %d bytes", k, len(v))
			}
		}
	})
}

// fuzzSeeds are the bodies of the handler's tests: the table of bad requests and the
// attacks of issue 11.
func fuzzSeeds() [][]byte {
	return [][]byte{
		reviewBody("u", privilegedPod),
		reviewBody("u", compliantPod),
		reviewBody("", privilegedPod),
		reviewBody("u-wide", manyContainers(100)),
		reviewOf("u-kind", strings.Repeat("K", 1000), "CREATE", compliantPod),
		reviewOf("u-op", "Pod", "DELETE", compliantPod),
		reviewBody("u-bad", `{"apiVersion":"v1","kind":"Pod","spec":{"containers":"nope"}}`),
		reviewBody("u-cm", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","annotations":{"moat.dev/ignore":"*","moat.dev/ignore-reason":"r"}}}`),
		[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`),
		[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":1}}`),
		[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}`),
		[]byte(`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}`),
		[]byte(`{`),
	}
}

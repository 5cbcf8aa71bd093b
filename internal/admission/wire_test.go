package admission

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/moat-dev/moat/internal/finding"
)

// apiServerReview is an UPDATE review as the API server writes it: its members in the
// order of the Go types, an object, an old object and options.
func apiServerReview(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/review-update.json")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// checkAsEncodingJSON fails t unless DecodeReview reads body as encoding/json does:
// the same review, or the same error. It returns whether the fast path read it.
func checkAsEncodingJSON(t testing.TB, body []byte) (fast bool) {
	t.Helper()
	got, gotErr := DecodeReview(body)
	var want admissionv1.AdmissionReview
	wantErr := json.Unmarshal(body, &want)
	switch {
	case (gotErr == nil) != (wantErr == nil):
		t.Fatalf("DecodeReview error %v, encoding/json error %v\nbody %q", gotErr, wantErr, body)
	case gotErr != nil:
		if gotErr.Error() != wantErr.Error() {
			t.Fatalf("DecodeReview error %q, encoding/json error %q", gotErr, wantErr)
		}
	case !reflect.DeepEqual(got, &want):
		t.Fatalf("DecodeReview read\n%+v\nencoding/json read\n%+v\nbody %q", got.Request, want.Request, body)
	}
	_, fast = decodeReviewFast(body)
	return fast
}

func TestDecodeReviewAsEncodingJSON(t *testing.T) {
	review := apiServerReview(t)
	// in replaces the first old in the review with new.
	in := func(old, new string) string {
		if !strings.Contains(review, old) {
			t.Fatalf("the fixture has no %q", old)
		}
		return strings.Replace(review, old, new, 1)
	}
	deep := func(depth int) string {
		return in(`"dryRun":false`, `"dryRun":false,"deep":`+strings.Repeat("[", depth)+strings.Repeat("]", depth))
	}
	for _, c := range []struct {
		name string
		body string
		fast bool // read by the fast path
	}{
		{"the API server's review of an update", review, true},
		{"white space between every token", strings.NewReplacer(`{`, "{\n  ", `,`, " ,\t", `:`, " : ").Replace(review) + "\n", true},
		{"names escaped", in(`"uid":"0b6c`, `"u\u0069d":"0b6c`), true},
		{"the object before the kind", in(`"kind":{"group":"apps","version":"v1","kind":"Deployment"},`, ``), true},
		{"members the types do not have", in(`"dryRun":false`, `"dryRun":false,"future":{"a":[1,2.5e3,null,true]},"names":["x"]`), true},
		{"null where the API server writes values", strings.NewReplacer(`"dryRun":false`, `"dryRun":null,"subResource":null`,
			`"requestKind":{"group":"apps","version":"v1","kind":"Deployment"}`, `"requestKind":null`).Replace(review), true},
		{"no request", `{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":null}`, true},
		{"a null object and old object", in(`"oldObject":{`, `"object":null,"oldObject":{`), false},
		{"an empty body object", `{}`, true},
		{"nesting within encoding/json's limit", deep(9997), true},
		{"nesting at encoding/json's limit", deep(9998), true},

		// encoding/json reads these, and so must DecodeReview, the same way.
		{"names in another case", in(`"uid":`, `"UID":`), false},
		{"a name in another case inside kind", in(`"kind":{"group":"apps"`, `"kind":{"Group":"apps"`), false},
		{"a name with the Kelvin sign", in(`"kind":{"group":"apps"`, `"\u212aind":{"group":"apps"`), false},
		{"a name twice", in(`"uid":"0b6c`, `"uid":"first","uid":"0b6c`), false},
		{"invalid UTF-8 in a name", in(`"name":"checkout"`, "\"name\":\"check\xffout\""), false},
		{"a lone surrogate escaped", in(`"name":"checkout"`, `"name":"check\ud800out"`), false},
		{"a response member", in(`"request":{`, `"response":{"uid":"x","allowed":true},"request":{`), false},
		{"null for the whole review", `null`, false},

		// encoding/json refuses these, with its own error.
		{"data after the review", review + `{}`, false},
		{"a string where a boolean goes", in(`"dryRun":false`, `"dryRun":"no"`), false},
		{"a number where a string goes", in(`"uid":"0b6c2f3e-9a41-4d7e-8c55-31f0e2a7d901"`, `"uid":7`), false},
		{"an array for the request", `{"request":[]}`, false},
		{"the review cut short", review[:len(review)/2], false},
		{"a list, not a review", `[]`, false},
		{"nothing", ``, false},
		{"nesting just past encoding/json's limit", deep(9999), false},
		{"nesting past encoding/json's limit", deep(10001), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if fast := checkAsEncodingJSON(t, []byte(c.body)); fast != c.fast {
				t.Errorf("read by the fast path: %v, want %v", fast, c.fast)
			}
		})
	}
}

// The objects of a review read by the fast path are the bytes of the body, not copies.
func TestDecodeReviewKeepsObjectsInTheBody(t *testing.T) {
	body := []byte(apiServerReview(t))
	review, err := DecodeReview(body)
	if err != nil {
		t.Fatal(err)
	}
	for name, raw := range map[string][]byte{"object": review.Request.Object.Raw, "oldObject": review.Request.OldObject.Raw, "options": review.Request.Options.Raw} {
		i := bytes.Index(body, raw)
		if len(raw) == 0 || i < 0 || &body[i] != &raw[0] || cap(raw) != len(raw) {
			t.Errorf("%s is not a slice of the body that ends where it does", name)
		}
	}
}

func FuzzDecodeReview(f *testing.F) {
	review := apiServerReview(f)
	f.Add([]byte(review))
	f.Add([]byte(strings.Replace(review, `"uid":`, `"UID":`, 1)))
	f.Add([]byte(strings.Replace(review, `"dryRun":false`, `"dryRun":null,"x":[{"y":"\u00e9"}]`, 1)))
	f.Add([]byte(`{"request":null}`))
	f.Add([]byte(`{"request":{"userInfo":{"extra":{"a":null,"b":[null,"c"]},"groups":[]}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAsEncodingJSON(t, body)
	})
}

// checkAppendReview fails t unless AppendReview writes what encoding/json's Encoder
// writes for the answer.
func checkAppendReview(t testing.TB, tm metav1.TypeMeta, resp *admissionv1.AdmissionResponse) {
	t.Helper()
	var want bytes.Buffer
	if err := json.NewEncoder(&want).Encode(&admissionv1.AdmissionReview{TypeMeta: tm, Response: resp}); err != nil {
		t.Fatal(err)
	}
	got, err := AppendReview([]byte("kept"), tm, resp)
	if err != nil || string(got) != "kept"+want.String() {
		t.Fatalf("AppendReview (error %v):\n%s\nencoding/json:\n%s", err, got, want.Bytes())
	}
}

func TestAppendReviewAsEncodingJSON(t *testing.T) {
	tm := metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}
	odd := "<b>&</b> \"q\" \\ \b\f\n\r\t\x00\x1f\x7f é \u2028\u2029 \xff\xfe ✓"
	remaining := int64(3)
	with := func(resp *admissionv1.AdmissionResponse, change func(*admissionv1.AdmissionResponse)) *admissionv1.AdmissionResponse {
		change(resp)
		return resp
	}
	for _, c := range []struct {
		name string
		tm   metav1.TypeMeta
		resp *admissionv1.AdmissionResponse
	}{
		{"allowed", tm, Allowed("u1")},
		{"denied", tm, Denied("u2", "moat: denied by 1 finding\n- [pod/privileged-container] "+odd)},
		{"errored", tm, Errored("u3", 500, fmt.Errorf("the object could not be judged: %s", odd))},
		{"warnings and audit annotations", tm, with(Allowed("u4"), func(r *admissionv1.AdmissionResponse) {
			r.Warnings = []string{"w1", odd, ""}
			r.AuditAnnotations = map[string]string{"findings": `[{"rule":"a<b>"}]`, "exempt": odd, odd: "", "a": "1"}
		})},
		{"a status with every field", tm, with(Denied("u5", odd), func(r *admissionv1.AdmissionResponse) {
			r.Result.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
			r.Result.ListMeta = metav1.ListMeta{SelfLink: "/x", ResourceVersion: "9", Continue: odd, RemainingItemCount: &remaining}
			r.Result.Details = &metav1.StatusDetails{Name: "n", Group: "g", Kind: "k", UID: "d", RetryAfterSeconds: 1}
		})},
		{"a status with only some", tm, with(Denied("u6", ""), func(r *admissionv1.AdmissionResponse) {
			r.Result.TypeMeta.APIVersion = "v1"
			r.Result.ListMeta.Continue = "c"
			r.Result.Details = &metav1.StatusDetails{Kind: "k"}
			r.Result.Code = 0
		})},
		{"empty details", tm, with(Denied("u7", "m"), func(r *admissionv1.AdmissionResponse) {
			r.Result.Details = &metav1.StatusDetails{}
		})},
		{"a negative code", tm, with(Denied("u8", "m"), func(r *admissionv1.AdmissionResponse) { r.Result.Code = -1 })},
		{"no type", metav1.TypeMeta{}, Allowed("u9")},
		{"only an apiVersion", metav1.TypeMeta{APIVersion: "admission.k8s.io/v1"}, Allowed(types.UID(odd))},
		{"a patch, by encoding/json", tm, with(Allowed("u10"), func(r *admissionv1.AdmissionResponse) {
			pt := admissionv1.PatchTypeJSONPatch
			r.Patch, r.PatchType = []byte(`[]`), &pt
		})},
		{"causes, by encoding/json", tm, with(Denied("u11", "m"), func(r *admissionv1.AdmissionResponse) {
			r.Result.Details = &metav1.StatusDetails{Causes: []metav1.StatusCause{{Message: odd}}}
		})},
	} {
		t.Run(c.name, func(t *testing.T) { checkAppendReview(t, c.tm, c.resp) })
	}
}

func FuzzAppendReview(f *testing.F) {
	f.Add("uid", "message", "warning", "key", "value", false, int32(403), int32(0))
	f.Add("<&>", "\u2028\xff\x01", "", "", "", true, int32(0), int32(1))
	f.Fuzz(func(t *testing.T, uid, message, warning, key, value string, allowed bool, code, retry int32) {
		resp := &admissionv1.AdmissionResponse{UID: types.UID(uid), Allowed: allowed, Warnings: []string{warning, message},
			AuditAnnotations: map[string]string{key: value, "k": message}}
		if !allowed {
			resp.Result = &metav1.Status{Status: metav1.StatusFailure, Message: message, Code: code, Reason: metav1.StatusReason(warning)}
			if retry != 0 {
				resp.Result.Details = &metav1.StatusDetails{RetryAfterSeconds: retry, Name: key}
			}
		}
		checkAppendReview(t, metav1.TypeMeta{APIVersion: value, Kind: key}, resp)
	})
}

// The audit annotation of audited findings is the JSON encoding/json made of them
// before it was written by hand.
func TestAuditAnnotationAsWithEncodingJSON(t *testing.T) {
	type entry struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
		Path     string `json:"path,omitempty"`
	}
	rng := rand.New(rand.NewPCG(14, 1))
	words := []string{"", "pod/privileged-container", `container "a" <adds> & drops`, "spec.containers[0]", "é\u2028\xff\n\t", strings.Repeat("x", 300)}
	word := func() string { return words[rng.IntN(len(words))] }
	for range 500 {
		js := make([]Judged, rng.IntN(6))
		var es []entry
		for i := range js {
			f := &finding.Finding{RuleID: word(), Severity: finding.Severity(rng.IntN(5)), Message: word(), Path: word()}
			js[i] = Judged{Finding: f, Mode: Mode(rng.IntN(3))}
			if js[i].Mode == Audit {
				es = append(es, entry{f.RuleID, f.Severity.String(), f.Message, f.Path})
			}
		}
		want, _ := json.Marshal(es)
		if es == nil {
			want = []byte("[]")
		}
		if got := auditedJSON(js); got != string(want) {
			t.Fatalf("auditedJSON = %s, want %s", got, want)
		}
	}
}

package admission

import (
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/rule"
)

// FuzzDecide feeds arbitrary objects to the reviewer: it must answer every one with a
// response that carries the UID, and never panic.
func FuzzDecide(f *testing.F) {
	for _, s := range []string{
		privileged,
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x","securityContext":{"capabilities":{"add":["SYS_ADMIN"]}}}],"volumes":[{"name":"h","hostPath":{"path":"/"}}]}}`,
		`{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c"},"spec":{"jobTemplate":{"spec":{"template":{"spec":{"hostPID":true}}}}}}`,
		`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"password":"aHVudGVyMg=="}}`,
		`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"}}`,
		`{"kind":"Pod"}`, `[]`, `null`, `{"apiVersion":"v1","kind":"Pod","spec":null}`,
	} {
		f.Add([]byte(s))
	}
	r, err := NewReviewer(rule.All(), &exceptions.Config{}, "latest", fixedNow)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req := &admissionv1.AdmissionRequest{UID: "fuzz", Operation: admissionv1.Create, Namespace: "ns", Object: runtime.RawExtension{Raw: raw}}
		d := r.Decide(req)
		if d.Response == nil || d.Response.UID != "fuzz" {
			t.Fatalf("no response with the UID: %+v", d.Response)
		}
		if !d.Response.Allowed && d.Response.Result == nil {
			t.Fatal("a denial without a status")
		}
	})
}

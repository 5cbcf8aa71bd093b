package webhook

import "testing"

// FuzzParseReview: any body either parses into a review with a request or is refused
// with an error; never a panic.
func FuzzParseReview(f *testing.F) {
	f.Add(reviewBody("u", privilegedPod))
	f.Add(reviewBody("u", compliantPod))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":1}}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseReview(body)
		if err == nil && (r == nil || r.Request == nil) {
			t.Fatal("parsed without a request")
		}
	})
}

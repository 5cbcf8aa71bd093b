package admission

import (
	"bytes"
	"encoding/json"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/rule"
)

const benchPod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-7d9f8c6b5-x1","namespace":"shop","labels":{"app":"web"}},
 "spec":{"serviceAccountName":"web","securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},
  "containers":[{"name":"web","image":"registry.example.com/web:2.1.0","ports":[{"containerPort":8080}],
   "resources":{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"memory":"128Mi"}},
   "securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}},
  {"name":"envoy","image":"envoyproxy/envoy:v1.31.2"}],
  "volumes":[{"name":"tmp","emptyDir":{}}]}}`

// BenchmarkDecidePod is the webhook's work for one pod, without HTTP and TLS.
func BenchmarkDecidePod(b *testing.B) {
	r, err := NewReviewer(rule.All(), &exceptions.Config{}, "latest", fixedNow)
	if err != nil {
		b.Fatal(err)
	}
	req := &admissionv1.AdmissionRequest{UID: "u", Operation: admissionv1.Create, Namespace: "shop", Object: runtime.RawExtension{Raw: []byte(benchPod)}}
	b.ReportAllocs()
	for b.Loop() {
		if d := r.Decide(req); d.Response == nil {
			b.Fatal("no response")
		}
	}
}

// BenchmarkDecodeReview reads the review of an UPDATE as the API server writes it,
// with DecodeReview and, for comparison, with encoding/json.
func BenchmarkDecodeReview(b *testing.B) {
	body := []byte(apiServerReview(b))
	b.Run("DecodeReview", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := DecodeReview(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var review admissionv1.AdmissionReview
			if err := json.Unmarshal(body, &review); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAppendReview writes the answer to the review of bench/admission/hey.sh,
// with AppendReview and, for comparison, with encoding/json.
func BenchmarkAppendReview(b *testing.B) {
	r, err := NewReviewer(rule.All(), &exceptions.Config{}, "latest", fixedNow)
	if err != nil {
		b.Fatal(err)
	}
	d := r.Decide(&admissionv1.AdmissionRequest{UID: "u", Operation: admissionv1.Create, Namespace: "shop", Object: runtime.RawExtension{Raw: []byte(benchPod)}})
	tm := metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}
	buf := make([]byte, 0, 16<<10)
	b.Run("AppendReview", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, _ = AppendReview(buf[:0], tm, d.Response)
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var out bytes.Buffer
		for b.Loop() {
			out.Reset()
			if err := json.NewEncoder(&out).Encode(&admissionv1.AdmissionReview{TypeMeta: tm, Response: d.Response}); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(out.Len()))
	})
}

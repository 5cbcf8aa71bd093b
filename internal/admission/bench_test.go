package admission

import (
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
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

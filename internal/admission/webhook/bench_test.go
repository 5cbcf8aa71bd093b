package webhook

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"
)

// benchReview is the review of bench/admission/hey.sh: a privileged node-agent pod after
// the API server's defaulting, which the default rules deny with a dozen findings.
func benchReview(b *testing.B) []byte {
	body, err := os.ReadFile("testdata/review-privileged.json")
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// reportLatency adds the median and 99th percentile of the op times to the result.
func reportLatency(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[min(len(took)-1, len(took)*99/100)].Microseconds()), "p99-µs")
}

// BenchmarkValidateHandler is the server's whole work for one review without the
// network: routing, reading the body, decoding, judging, bounding, metrics and
// encoding the answer. Its allocations are the server's per request.
func BenchmarkValidateHandler(b *testing.B) {
	r := start(b, Options{}, true)
	h := r.srv.Handler()
	body := benchReview(b)
	took := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"code":403`)) {
			b.Fatalf("HTTP %d: %s", w.Code, w.Body.Bytes())
		}
		if len(took) < cap(took) {
			took = append(took, time.Since(t0))
		}
	}
	reportLatency(b, took)
}

// BenchmarkValidateTLS is one review over real TLS on loopback with a kept-alive
// connection (HTTP/2, as the API server speaks it, and HTTP/1.1): client and server
// are in this process, so allocations count both sides.
func BenchmarkValidateTLS(b *testing.B) {
	for _, proto := range []string{"h2", "http1"} {
		b.Run(proto, func(b *testing.B) {
			r := start(b, Options{}, true)
			tr := r.client.Transport.(*http.Transport)
			if proto == "h2" {
				tr.ForceAttemptHTTP2 = true
			} else {
				tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
			}
			body := benchReview(b)
			post := func() {
				resp, err := r.client.Post(r.url+"/validate", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Contains(data, []byte(`"code":403`)) {
					b.Fatalf("HTTP %d: %s", resp.StatusCode, data)
				}
				if proto == "h2" && resp.ProtoMajor != 2 {
					b.Fatalf("got %s, want HTTP/2", resp.Proto)
				}
			}
			post() // the handshake
			took := make([]time.Duration, 0, 1<<16)
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				post()
				if len(took) < cap(took) {
					took = append(took, time.Since(t0))
				}
			}
			reportLatency(b, took)
		})
	}
}

package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/moat-dev/moat/internal/admission"
	_ "github.com/moat-dev/moat/internal/catalog"
	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/servertls/tlstest"
)

type running struct {
	srv    *Server
	url    string
	client *http.Client
	cancel context.CancelFunc
	done   chan error
	ca     *tlstest.CA
	dir    string
}

func start(t testing.TB, opt Options, ready bool) *running {
	t.Helper()
	ca := tlstest.NewCA(t, "serving CA")
	dir := t.TempDir()
	opt.CertFile, opt.KeyFile = ca.Issue(t, dir, tlstest.Cert{Serial: 100})
	srv, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	if ready {
		rev, err := admission.NewReviewer(rule.All(), &exceptions.Config{}, "latest", time.Now)
		if err != nil {
			t.Fatal(err)
		}
		srv.SetReviewer(rev)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	r := &running{srv: srv, url: "https://" + ln.Addr().String(), cancel: cancel, done: done, ca: ca, dir: dir,
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}}}}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return r
}

const privilegedPod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"root-shell","namespace":"shop"},
 "spec":{"containers":[{"name":"shell","image":"busybox:1.36","securityContext":{"privileged":true}}]}}`

const compliantPod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop"},
 "spec":{"automountServiceAccountToken":false,"serviceAccountName":"web",
  "securityContext":{"runAsNonRoot":true,"runAsUser":10001,"runAsGroup":10001,"seccompProfile":{"type":"RuntimeDefault"}},
  "containers":[{"name":"web","image":"registry.example.com/web@sha256:4f0a0b1e0d9c8b7a6f5e4d3c2b1a09182736455463728190a1b2c3d4e5f60718",
   "imagePullPolicy":"IfNotPresent",
   "resources":{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"cpu":"500m","memory":"128Mi"}},
   "readinessProbe":{"httpGet":{"path":"/ready","port":8080}},"livenessProbe":{"httpGet":{"path":"/live","port":8080}},
   "securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}}]}}`

func reviewBody(uid, object string) []byte {
	return []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"` + uid +
		`","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},` +
		`"namespace":"shop","operation":"CREATE","userInfo":{"username":"alice"},"object":` + object + `}}`)
}

func (r *running) post(t *testing.T, body []byte) (*http.Response, *admissionv1.AdmissionReview) {
	t.Helper()
	resp, err := r.client.Post(r.url+"/validate", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("response is not an AdmissionReview: %v\n%s", err, data)
	}
	return resp, &out
}

func (r *running) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := r.client.Get(r.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func TestReviewOverTLS(t *testing.T) {
	r := start(t, Options{}, true)
	_, out := r.post(t, reviewBody("u-1", privilegedPod))
	if out == nil || out.Response == nil {
		t.Fatal("no response")
	}
	if out.Response.UID != "u-1" || out.Response.Allowed {
		t.Fatalf("privileged pod: uid %q allowed %v", out.Response.UID, out.Response.Allowed)
	}
	if msg := out.Response.Result.Message; !strings.Contains(msg, "[pod/privileged-container]") || !strings.Contains(msg, "securityContext.privileged") {
		t.Errorf("deny message does not name the rule and field: %s", msg)
	}
	_, out = r.post(t, reviewBody("u-2", compliantPod))
	if !out.Response.Allowed {
		t.Errorf("compliant pod denied: %s", out.Response.Result.Message)
	}
	if len(out.Response.Warnings) > 0 {
		t.Errorf("compliant pod warned: %q", out.Response.Warnings)
	}
	code, metrics := r.get(t, "/metrics")
	for _, want := range []string{
		`moat_admission_requests_total{kind="Pod",operation="CREATE"} 2`,
		`moat_admission_decisions_total{decision="denied"} 1`,
		`moat_admission_decisions_total{decision="allowed"} 1`,
		`moat_admission_findings_total{mode="enforce",rule="pod/privileged-container"} 1`,
		`moat_admission_review_duration_seconds_count 2`,
	} {
		if code != 200 || !strings.Contains(metrics, want) {
			t.Errorf("/metrics (%d) lacks %s", code, want)
		}
	}
}

func TestReadyOnlyWithRules(t *testing.T) {
	r := start(t, Options{}, false)
	if code, _ := r.get(t, "/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, _ := r.get(t, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before rules = %d, want 503", code)
	}
	if resp, _ := r.post(t, reviewBody("u", compliantPod)); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/validate before rules = %d, want 503", resp.StatusCode)
	}
	rev, _ := admission.NewReviewer(rule.All(), nil, "latest", time.Now)
	r.srv.SetReviewer(rev)
	if code, _ := r.get(t, "/readyz"); code != 200 {
		t.Errorf("/readyz with rules = %d", code)
	}
}

func TestBadRequests(t *testing.T) {
	r := start(t, Options{MaxBodyBytes: 4 << 10}, true)
	big := reviewBody("u", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"k":"`+strings.Repeat("a", 8<<10)+`"}}`)
	cases := []struct {
		name string
		body []byte
		ct   string
		want int
	}{
		{"body over the limit", big, "application/json", http.StatusRequestEntityTooLarge},
		{"not JSON", []byte("{"), "application/json", http.StatusBadRequest},
		{"a review of another version", []byte(`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}`), "application/json", http.StatusBadRequest},
		{"a review without request", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), "application/json", http.StatusBadRequest},
		{"wrong content type", reviewBody("u", compliantPod), "text/plain", http.StatusUnsupportedMediaType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := r.client.Post(r.url+"/validate", c.ct, bytes.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("status %d, want %d", resp.StatusCode, c.want)
			}
		})
	}
	resp, err := r.client.Get(r.url + "/validate")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /validate = %d", resp.StatusCode)
	}
	// An object the decoder refuses is answered, not dropped.
	_, out := r.post(t, reviewBody("u-bad", `{"apiVersion":"v1","kind":"Pod","spec":{"containers":"nope"}}`))
	if out == nil || out.Response.Allowed || out.Response.UID != "u-bad" || out.Response.Result.Code != 400 {
		t.Errorf("undecodable object: %+v", out)
	}
}

func TestPanicBecomesResponse(t *testing.T) {
	r := start(t, Options{}, true)
	r.srv.decide = func(context.Context, *admission.Reviewer, *admissionv1.AdmissionRequest) admission.Decision {
		panic("rule bug")
	}
	_, out := r.post(t, reviewBody("u-panic", privilegedPod))
	if out == nil || out.Response == nil {
		t.Fatal("no well-formed response after a panic")
	}
	if out.Response.UID != "u-panic" || out.Response.Allowed || out.Response.Result.Code != 500 {
		t.Errorf("after a panic: %+v", out.Response)
	}
	if _, m := r.get(t, "/metrics"); !strings.Contains(m, `moat_admission_errors_total{reason="panic"} 1`) {
		t.Error("panic not counted")
	}
}

func TestDeadline(t *testing.T) {
	r := start(t, Options{Timeout: 100 * time.Millisecond}, true)
	release := make(chan struct{})
	defer close(release)
	r.srv.decide = func(ctx context.Context, rev *admission.Reviewer, req *admissionv1.AdmissionRequest) admission.Decision {
		<-release
		return rev.DecideContext(ctx, req)
	}
	t0 := time.Now()
	_, out := r.post(t, reviewBody("u-slow", compliantPod))
	if took := time.Since(t0); took > 2*time.Second {
		t.Errorf("answered after %v", took)
	}
	if out == nil || out.Response.Allowed || out.Response.UID != "u-slow" || out.Response.Result.Code != http.StatusGatewayTimeout {
		t.Errorf("after the deadline: %+v", out)
	}
}

func TestCertificateReload(t *testing.T) {
	r := start(t, Options{}, true)
	serial := func() int64 {
		conn, err := tls.Dial("tcp", strings.TrimPrefix(r.url, "https://"), &tls.Config{RootCAs: r.ca.Pool})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if s := serial(); s != 100 {
		t.Fatalf("serial %d, want 100", s)
	}
	// Rotation: new files in place, the server keeps running.
	time.Sleep(10 * time.Millisecond) // a distinct modification time on coarse clocks
	r.ca.Issue(t, r.dir, tlstest.Cert{Serial: 101})
	if s := serial(); s != 101 {
		t.Errorf("after rotation, serial %d, want 101", s)
	}
	// A broken rotation keeps the last good certificate.
	tlstest.WriteAtomic(t, filepath.Join(r.dir, "tls.crt"), []byte("not a certificate"))
	if s := serial(); s != 101 {
		t.Errorf("after a broken rotation, serial %d, want 101", s)
	}
}

func TestGracefulShutdown(t *testing.T) {
	r := start(t, Options{Timeout: 5 * time.Second}, true)
	entered := make(chan struct{})
	r.srv.decide = func(ctx context.Context, rev *admission.Reviewer, req *admissionv1.AdmissionRequest) admission.Decision {
		close(entered)
		time.Sleep(300 * time.Millisecond)
		return rev.DecideContext(ctx, req)
	}
	got := make(chan *admissionv1.AdmissionReview, 1)
	go func() {
		resp, err := r.client.Post(r.url+"/validate", "application/json", bytes.NewReader(reviewBody("u-inflight", compliantPod)))
		if err != nil {
			got <- nil
			return
		}
		defer resp.Body.Close()
		var out admissionv1.AdmissionReview
		if json.NewDecoder(resp.Body).Decode(&out) != nil {
			got <- nil
			return
		}
		got <- &out
	}()
	<-entered
	r.cancel()
	if out := <-got; out == nil || out.Response == nil || !out.Response.Allowed {
		t.Errorf("in-flight request lost at shutdown: %+v", out)
	}
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if _, err := r.client.Get(r.url + "/healthz"); err == nil {
		t.Error("server still accepts after shutdown")
	}
}

// readBody reads what io.ReadAll reads, whatever the Content-Length says, and keeps
// the body limit's error.
func TestReadBody(t *testing.T) {
	for _, size := range []int{0, 1, 511, 512, 513, 4096, presizeBody - 1, presizeBody, presizeBody + 1, 3 * presizeBody} {
		data := bytes.Repeat([]byte("x"), size)
		for _, cl := range []int64{-1, 0, int64(size), int64(size) / 2, int64(size) * 2, 1 << 40} {
			got, err := readBody(bytes.NewReader(data), cl)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("size %d, Content-Length %d: got %d bytes, %v", size, cl, len(got), err)
			}
		}
		rec := httptest.NewRecorder()
		_, err := readBody(http.MaxBytesReader(rec, io.NopCloser(bytes.NewReader(data)), 4096), int64(size))
		var tooLarge *http.MaxBytesError
		if (size > 4096) != errors.As(err, &tooLarge) {
			t.Fatalf("size %d over a limit of 4096: err %v", size, err)
		}
	}
}

// An answer carries its Content-Length and is the review encoded by encoding/json.
func TestAnswerHasContentLength(t *testing.T) {
	r := start(t, Options{}, true)
	resp, err := r.client.Post(r.url+"/validate", "application/json", bytes.NewReader(reviewBody("u-cl", privilegedPod)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.ContentLength != int64(len(data)) || len(data) == 0 {
		t.Fatalf("Content-Length %d, body %d bytes", resp.ContentLength, len(data))
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	json.NewEncoder(&want).Encode(&out)
	if !bytes.Equal(data, want.Bytes()) {
		t.Fatalf("answer is not as encoding/json writes it:\n%s\nwant\n%s", data, want.Bytes())
	}
}

// Reviews run on goroutines that wait for the next one: reviews one after another
// run on one goroutine, whose stack has grown already, not on a new one each.
func TestReviewGoroutinesAreReused(t *testing.T) {
	r := start(t, Options{}, true)
	var mu sync.Mutex
	ran := map[string]bool{} // the goroutines that ran a review
	r.srv.decide = func(ctx context.Context, rev *admission.Reviewer, req *admissionv1.AdmissionRequest) admission.Decision {
		buf := make([]byte, 64)
		id, _, _ := strings.Cut(string(buf[:runtime.Stack(buf, false)]), " [")
		mu.Lock()
		ran[id] = true
		mu.Unlock()
		return rev.DecideContext(ctx, req)
	}
	for i := range 50 {
		if resp, out := r.post(t, reviewBody(fmt.Sprintf("u-%d", i), compliantPod)); out == nil || !out.Response.Allowed {
			t.Fatalf("review %d: HTTP %d, %+v", i, resp.StatusCode, out)
		}
	}
	if len(ran) > 2 {
		t.Fatalf("50 reviews one after another ran on %d goroutines, want 1 or 2", len(ran))
	}
}

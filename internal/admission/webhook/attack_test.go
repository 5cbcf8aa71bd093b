package webhook

// Attacks on the webhook from issue 11, each reproduced on loopback with a bounded
// number of requests: unbounded metric labels, unbounded responses, no bound on
// reviews in flight, a review without a uid, and a client without a certificate when
// the server asks for one.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/moat-dev/moat/internal/admission"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/servertls/tlstest"
)

// reviewOf is a review of object with the request's kind and operation as given.
func reviewOf(uid, kind, operation, object string) []byte {
	k, _ := json.Marshal(kind)
	op, _ := json.Marshal(operation)
	return []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"` + uid +
		`","kind":{"group":"","version":"v1","kind":` + string(k) + `},"resource":{"group":"","version":"v1","resource":"pods"},` +
		`"namespace":"shop","operation":` + string(op) + `,"userInfo":{"username":"alice"},"object":` + object + `}}`)
}

func TestMetricLabelsAreBounded(t *testing.T) {
	r := start(t, Options{}, true)
	// Unique 64 KiB kinds and operations: 80 requests would have made 80 series and
	// more than 5 MB of /metrics.
	for i := range 80 {
		kind, op := fmt.Sprintf("K%d%s", i, strings.Repeat("k", 64<<10)), "CREATE"
		if i%2 == 1 {
			kind, op = "Pod", fmt.Sprintf("OP%d%s", i, strings.Repeat("o", 64<<10))
		}
		if resp, out := r.post(t, reviewOf(fmt.Sprintf("u-%d", i), kind, op, compliantPod)); out == nil {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	_, m := r.get(t, "/metrics")
	if len(m) > 16<<10 {
		t.Errorf("/metrics is %d bytes after 80 requests with unique kinds and operations", len(m))
	}
	series := regexp.MustCompile(`(?m)^moat_admission_requests_total\{.*$`).FindAllString(m, -1)
	want := []string{
		`moat_admission_requests_total{kind="Pod",operation="other"} 40`,
		`moat_admission_requests_total{kind="other",operation="CREATE"} 40`,
	}
	if strings.Join(series, "\n") != strings.Join(want, "\n") {
		t.Errorf("request series:\n%s\nwant:\n%s", strings.Join(series, "\n"), strings.Join(want, "\n"))
	}
	// Known kinds keep their own label: the rules' kinds and the reviewed ones.
	r.post(t, reviewOf("u-role", "ClusterRole", "UPDATE", `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"x"}}`))
	if _, m := r.get(t, "/metrics"); !strings.Contains(m, `moat_admission_requests_total{kind="ClusterRole",operation="UPDATE"} 1`) {
		t.Error("a known kind is not its own label")
	}
}

// manyContainers is a pod with n privileged containers that set nothing else: about
// eight findings each.
func manyContainers(n int) string {
	cs := make([]string, n)
	for i := range cs {
		cs[i] = fmt.Sprintf(`{"name":"c%d","image":"busybox","securityContext":{"privileged":true}}`, i)
	}
	return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"wide","namespace":"shop"},"spec":{"containers":[` + strings.Join(cs, ",") + `]}}`
}

func TestResponseIsBounded(t *testing.T) {
	r := start(t, Options{}, true)
	body := reviewBody("u-wide", manyContainers(300))
	resp, err := r.client.Post(r.url+"/validate", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("request %d bytes, response %d bytes", len(body), len(data))
	if len(data) > 16<<10 {
		t.Errorf("response to a 300-container pod is %d bytes, want < 16 KiB", len(data))
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &out); err != nil || out.Response == nil {
		t.Fatalf("not an AdmissionReview: %v", err)
	}
	res := out.Response
	if res.Allowed || res.UID != "u-wide" || res.Result.Code != http.StatusForbidden {
		t.Fatalf("uid %q allowed %v result %+v", res.UID, res.Allowed, res.Result)
	}
	msg := res.Result.Message
	if !regexp.MustCompile(`^moat: denied by \d{3,} findings from \d+ rules?; 10 shown, each rule once before any twice, the most severe first\n`).MatchString(msg) {
		t.Errorf("denial does not give the count and say it lists the 10 most severe:\n%.300s", msg)
	}
	if n := strings.Count(msg, "\n- ["); n != MaxDeniedListed {
		t.Errorf("denial lists %d findings, want %d", n, MaxDeniedListed)
	}
	if !strings.Contains(msg, "[pod/privileged-container]") || !regexp.MustCompile(`\n- and \d+ more; moat scan`).MatchString(msg) {
		t.Errorf("denial does not name the most severe finding and the rest:\n%s", msg)
	}
	if len(res.Warnings) != MaxWarnings+1 && totalLen(res.Warnings) > MaxWarningBytes {
		t.Errorf("%d warnings, %d bytes", len(res.Warnings), totalLen(res.Warnings))
	}
	if last := res.Warnings[len(res.Warnings)-1]; !regexp.MustCompile(`^moat: and \d+ more findings not shown`).MatchString(last) {
		t.Errorf("last warning does not count the rest: %q", last)
	}
	for k, v := range res.AuditAnnotations {
		if len(v) > MaxAnnotationBytes {
			t.Errorf("audit annotation %s is %d bytes", k, len(v))
		}
	}
}

func TestBoundKeepsSmallResponsesAndOtherWarnings(t *testing.T) {
	// A response within the bounds is left as the reviewer made it.
	resp := admission.Denied("u", "moat: denied by 1 finding\n- [pod/x] y")
	resp.Warnings = []string{"w1", "w2"}
	resp.AuditAnnotations = map[string]string{"findings": `[{"rule":"a"}]`}
	bound(admission.Decision{Response: resp, Findings: []admission.Judged{{Finding: &finding.Finding{}, Mode: admission.Enforce}}})
	if resp.Result.Message != "moat: denied by 1 finding\n- [pod/x] y" || len(resp.Warnings) != 2 || resp.AuditAnnotations["findings"] != `[{"rule":"a"}]` {
		t.Errorf("a small response changed: %+v", resp)
	}
	// Over the bounds, a warning that is not a finding's (what became of an ignore
	// annotation) is kept first, whatever its place.
	var ws []string
	var js []admission.Judged
	for i := range 50 {
		j := admission.Judged{Finding: &finding.Finding{RuleID: "pod/x", Message: fmt.Sprint("finding ", i)}, Mode: admission.Warn}
		js = append(js, j)
		ws = append(ws, admission.WarningText(j.Finding))
	}
	ws = append(ws, "moat: the object's moat.dev/ignore annotation is not honoured")
	got := boundWarnings(ws, js)
	if got[0] != ws[50] || len(got) != MaxWarnings+1 || got[MaxWarnings] != "moat: and 31 more findings not shown; moat scan on the object lists them all" {
		t.Errorf("bounded warnings: %q", got)
	}
	// A long audit annotation keeps whole entries and counts the rest.
	var es []string
	for i := range 500 {
		es = append(es, fmt.Sprintf(`{"rule":"r%d","message":"%s"}`, i, strings.Repeat("m", 40)))
	}
	resp = admission.Allowed("u")
	resp.AuditAnnotations = map[string]string{"findings": "[" + strings.Join(es, ",") + "]", "other": strings.Repeat("é", 5000)}
	bound(admission.Decision{Response: resp})
	var kept []json.RawMessage
	if err := json.Unmarshal([]byte(resp.AuditAnnotations["findings"]), &kept); err != nil || len(resp.AuditAnnotations["findings"]) > MaxAnnotationBytes {
		t.Fatalf("findings annotation: %v, %d bytes", err, len(resp.AuditAnnotations["findings"]))
	}
	if omitted := resp.AuditAnnotations["findings-omitted"]; omitted != fmt.Sprint(500-len(kept)) {
		t.Errorf("findings-omitted %q with %d kept", omitted, len(kept))
	}
	if o := resp.AuditAnnotations["other"]; len(o) > MaxAnnotationBytes || !strings.HasSuffix(o, "é…") {
		t.Errorf("other annotation not clipped on a rune boundary: %d bytes, ends %q", len(o), o[len(o)-8:])
	}
}

// blocker makes reviews of UIDs starting with "block" wait until released, and says
// when each has entered.
type blocker struct {
	entered chan string
	release chan struct{}
	once    sync.Once
}

func block(t *testing.T, r *running) *blocker {
	b := &blocker{entered: make(chan string, 16), release: make(chan struct{})}
	t.Cleanup(b.open)
	r.srv.decide = func(ctx context.Context, rev *admission.Reviewer, req *admissionv1.AdmissionRequest) admission.Decision {
		if strings.HasPrefix(string(req.UID), "block") {
			b.entered <- string(req.UID)
			<-b.release
		}
		return rev.DecideContext(ctx, req)
	}
	return b
}

func (b *blocker) open() { b.once.Do(func() { close(b.release) }) }

func TestLoadShedding(t *testing.T) {
	r := start(t, Options{MaxConcurrent: 2}, true)
	b := block(t, r)
	results := make(chan *admissionv1.AdmissionReview, 2)
	for _, uid := range []string{"block-1", "block-2"} {
		go func() {
			resp, err := r.client.Post(r.url+"/validate", "application/json", bytes.NewReader(reviewBody(uid, compliantPod)))
			if err != nil {
				results <- nil
				return
			}
			defer resp.Body.Close()
			var out admissionv1.AdmissionReview
			json.NewDecoder(resp.Body).Decode(&out)
			results <- &out
		}()
		<-b.entered
	}
	// Both slots taken: the next request is refused at once, with its UID.
	t0 := time.Now()
	resp, out := r.post(t, reviewBody("u-shed", compliantPod))
	if took := time.Since(t0); took > time.Second {
		t.Errorf("shed after %v", took)
	}
	if out == nil {
		t.Fatalf("status %d, want an AdmissionReview", resp.StatusCode)
	}
	res := out.Response
	if res.UID != "u-shed" || res.Allowed || res.Result.Code != http.StatusTooManyRequests || res.Result.Reason != "TooManyRequests" ||
		res.Result.Details == nil || res.Result.Details.RetryAfterSeconds != 1 || !strings.Contains(res.Result.Message, "overloaded") {
		t.Errorf("shed response: %+v", res.Result)
	}
	// A shed request without a uid is still a bad request.
	if resp, _ := r.post(t, []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}`)); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("shed request without uid: status %d, want 400", resp.StatusCode)
	}
	b.open()
	for range 2 {
		if out := <-results; out == nil || out.Response == nil || !out.Response.Allowed {
			t.Errorf("in-flight review lost: %+v", out)
		}
	}
	if _, out := r.post(t, reviewBody("u-after", compliantPod)); out == nil || !out.Response.Allowed {
		t.Errorf("after the load: %+v", out)
	}
	if _, m := r.get(t, "/metrics"); !strings.Contains(m, "moat_admission_shed_total 2") {
		t.Errorf("/metrics does not count 2 shed requests:\n%s", m)
	}
}

func TestLargeReviewsTakeMoreSlots(t *testing.T) {
	r := start(t, Options{MaxConcurrent: 2}, true)
	b := block(t, r)
	go r.client.Post(r.url+"/validate", "application/json", bytes.NewReader(reviewBody("block-1", compliantPod)))
	<-b.entered
	// One slot left: a review of a 300 KiB object needs two.
	big := reviewBody("u-big", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big","namespace":"shop"},"data":{"k":"`+strings.Repeat("a", 300<<10)+`"}}`)
	if _, out := r.post(t, big); out == nil || out.Response.Result == nil || out.Response.Result.Code != http.StatusTooManyRequests {
		t.Errorf("large review with one slot free: %+v", out)
	}
	if _, out := r.post(t, reviewBody("u-small", compliantPod)); out == nil || !out.Response.Allowed {
		t.Errorf("small review with one slot free: %+v", out)
	}
}

func TestRunawayReviewKeepsItsSlot(t *testing.T) {
	r := start(t, Options{MaxConcurrent: 1, Timeout: 100 * time.Millisecond}, true)
	b := block(t, r)
	if _, out := r.post(t, reviewBody("block-1", compliantPod)); out == nil || out.Response.Result.Code != http.StatusGatewayTimeout {
		t.Fatalf("blocked review: %+v", out)
	}
	// The review goes on past its deadline: it still holds the only slot.
	if _, out := r.post(t, reviewBody("u-2", compliantPod)); out == nil || out.Response.Result.Code != http.StatusTooManyRequests {
		t.Errorf("while a review runs past its deadline: %+v", out)
	}
	b.open()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, out := r.post(t, reviewBody("u-3", compliantPod))
		if out != nil && out.Response.Allowed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not released after the review ended: %+v", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReviewerGetsTheDeadline(t *testing.T) {
	r := start(t, Options{Timeout: 3 * time.Second}, true)
	left := make(chan time.Duration, 1)
	r.srv.decide = func(ctx context.Context, rev *admission.Reviewer, req *admissionv1.AdmissionRequest) admission.Decision {
		d, ok := ctx.Deadline()
		if !ok {
			left <- -1
		} else {
			left <- time.Until(d)
		}
		return rev.DecideContext(ctx, req)
	}
	r.post(t, reviewBody("u-1", compliantPod))
	if d := <-left; d <= 2*time.Second || d > 3*time.Second {
		t.Errorf("reviewer's context has %v left, want the server's 3 s", d)
	}
	// The API server sends what is left of its own call as ?timeout=; shorter wins.
	resp, err := r.client.Post(r.url+"/validate?timeout=1s", "application/json", bytes.NewReader(reviewBody("u-2", compliantPod)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if d := <-left; d <= 0 || d > time.Second {
		t.Errorf("with ?timeout=1s the reviewer's context has %v left", d)
	}
}

func TestReviewWithoutUID(t *testing.T) {
	r := start(t, Options{}, true)
	for name, body := range map[string][]byte{
		"no uid":    []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE","object":` + privilegedPod + `}}`),
		"empty uid": reviewBody("", privilegedPod),
	} {
		resp, err := r.client.Post(r.url+"/validate", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), "no uid") {
			t.Errorf("%s: status %d %q, want 400 saying there is no uid", name, resp.StatusCode, msg)
		}
	}
}

func TestClientCertificateRequired(t *testing.T) {
	clientCA := tlstest.NewCA(t, "API server client CA")
	caFile := filepath.Join(t.TempDir(), "client-ca.crt")
	tlstest.WriteAtomic(t, caFile, clientCA.PEM)
	r := start(t, Options{ClientCAFile: caFile, MinVersion: tls.VersionTLS13}, true)
	if _, err := r.client.Post(r.url+"/validate", "application/json", bytes.NewReader(reviewBody("u-anon", privilegedPod))); err == nil {
		t.Error("a client without a certificate was answered")
	}
	// HTTP/2, as client-go speaks it.
	apiserver := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{
		RootCAs: r.ca.Pool, Certificates: []tls.Certificate{clientCA.Pair(t, tlstest.Cert{Serial: 2, Client: true})},
	}}}
	resp, err := apiserver.Post(r.url+"/validate", "application/json", bytes.NewReader(reviewBody("u-api", privilegedPod)))
	if err != nil {
		t.Fatalf("the API server's certificate was refused: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
		t.Errorf("status %d over %s, want 200 over HTTP/2", resp.StatusCode, resp.Proto)
	}
}

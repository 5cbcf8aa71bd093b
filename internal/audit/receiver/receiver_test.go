package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/audit"
	"github.com/moat-dev/moat/internal/audit/detect"
)

// everyEvent is a rule set with one rule that fires on every event, so each evaluation
// leaves exactly one alert carrying the event's audit ID.
func everyEvent(t testing.TB) *detect.Engine {
	t.Helper()
	s, err := detect.LoadBytes(map[string][]byte{"all.yaml": []byte(`
- id: test/every-event
  title: Every event
  match: {}
  condition: 'true'
  output: '{verb} {object}'
  severity: info
  mitre: [T0000]
`)})
	if err != nil {
		t.Fatal(err)
	}
	return detect.NewEngine(s, 0)
}

func event(id string) string {
	return `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"` + id + `","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods","verb":"list","user":{"username":"system:serviceaccount:shop:web","groups":["system:serviceaccounts","system:authenticated"]},"sourceIPs":["10.244.1.23"],"userAgent":"curl/8.5","objectRef":{"resource":"pods","namespace":"shop","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-23T10:00:00.000001Z","stageTimestamp":"2026-11-23T10:00:00.000900Z"}`
}

func eventList(ids ...string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`)
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(event(id))
	}
	b.WriteString("]}")
	return b.Bytes()
}

// collect is a sink keeping every alert.
type collect struct {
	mu     sync.Mutex
	alerts []audit.Alert
	delay  time.Duration
}

func (c *collect) Name() string { return "collect" }
func (c *collect) Send(a audit.Alert) error {
	if c.delay > 0 {
		time.Sleep(c.delay)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.alerts = append(c.alerts, a)
	return nil
}
func (c *collect) Close() error { return nil }
func (c *collect) ids() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]int{}
	for _, a := range c.alerts {
		m[a.AuditID]++
	}
	return m
}

// testToken is the bearer token of the tests' receivers.
const testToken = "test-token-0123456789abcdef"

var testAuth = Auth{Token: testToken}

// post sends an EventList body to the webhook path of the server at base, as the API
// server does: application/json, with the token.
func post(t testing.TB, base string, body []byte) int {
	t.Helper()
	return postWith(t, base+Path, "application/json", "Bearer "+testToken, bytes.NewReader(body))
}

// postWith sends a body with the given content type and Authorization ("" for none).
// A body that is a *bytes.Reader has a Content-Length; another io.Reader is chunked.
func postWith(t testing.TB, url, contentType, authorization string, body io.Reader) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestFlood sends more events than the queue holds while evaluation is stalled: batches
// that fit are acknowledged, the rest refused with 429 and counted; once evaluation runs,
// every acknowledged event is evaluated exactly once and no refused one is.
func TestFlood(t *testing.T) {
	sink := &collect{}
	r := New(everyEvent(t), []Sink{sink}, Options{Auth: testAuth, QueueSize: 100})
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()

	accepted := map[string]bool{}
	refused := 0
	for b := range 30 { // 300 events in batches of 10 into a queue of 100
		var ids []string
		for i := range 10 {
			ids = append(ids, fmt.Sprintf("b%02d-e%d", b, i))
		}
		switch code := post(t, srv.URL, eventList(ids...)); code {
		case http.StatusOK:
			for _, id := range ids {
				accepted[id] = true
			}
		case http.StatusTooManyRequests:
			refused += len(ids)
		default:
			t.Fatalf("batch %d: status %d", b, code)
		}
	}
	if len(accepted) != 100 || refused != 200 {
		t.Fatalf("accepted %d, refused %d; want 100 and 200", len(accepted), refused)
	}
	r.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := sink.ids()
	for id := range accepted {
		if got[id] != 1 {
			t.Errorf("accepted event %s evaluated %d times", id, got[id])
		}
	}
	if len(got) != len(accepted) {
		t.Errorf("%d distinct events evaluated, %d accepted", len(got), len(accepted))
	}
	// Once the queue is full, a batch is refused before its body is read: 20 requests
	// refused, not 200 events rejected.
	st := r.Stats()
	if st.Received != 100 || st.Evaluated != 100 || st.Alerted != 100 || st.Rejected != 0 || st.Refused != 20 || st.Dropped != 0 || st.Queued != 0 || st.QueuedBytes != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestFloodConcurrent floods from several clients while a slow sink holds evaluation back:
// whatever the interleaving, received = evaluated, received + rejected + the events of
// refused requests = sent, and each acknowledged event is evaluated once.
func TestFloodConcurrent(t *testing.T) {
	sink := &collect{delay: 20 * time.Microsecond}
	r := New(everyEvent(t), []Sink{sink}, Options{Auth: testAuth, QueueSize: 500})
	r.Start()
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	var mu sync.Mutex
	accepted, sent, refused := map[string]bool{}, 0, 0
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range 50 {
				var ids []string
				for i := range 40 {
					ids = append(ids, fmt.Sprintf("c%d-b%02d-e%02d", c, b, i))
				}
				code := post(t, srv.URL, eventList(ids...))
				mu.Lock()
				sent += len(ids)
				if code == http.StatusOK {
					for _, id := range ids {
						accepted[id] = true
					}
				} else if code == http.StatusTooManyRequests {
					refused += len(ids)
				} else {
					t.Errorf("status %d", code)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	got := sink.ids()
	if int(st.Received) != len(accepted) || st.Evaluated != st.Received || int(st.Rejected+40*st.Refused) != refused || len(accepted)+refused != sent {
		t.Errorf("stats %+v; accepted %d refused %d sent %d", st, len(accepted), refused, sent)
	}
	for id := range accepted {
		if got[id] != 1 {
			t.Errorf("event %s evaluated %d times", id, got[id])
		}
	}
	if len(got) != len(accepted) {
		t.Errorf("%d events evaluated, %d accepted", len(got), len(accepted))
	}
	if refused == 0 {
		t.Log("no batch was refused this time (the sink kept up)")
	}
}

func TestShutdownDrainsAndRefuses(t *testing.T) {
	sink := &collect{delay: time.Millisecond}
	r := New(everyEvent(t), []Sink{sink}, Options{Auth: testAuth, QueueSize: 1000})
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	var ids []string
	for i := range 200 {
		ids = append(ids, fmt.Sprint(i))
	}
	if code := post(t, srv.URL, eventList(ids...)); code != http.StatusOK {
		t.Fatal(code)
	}
	r.Start()
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(sink.ids()) != 200 {
		t.Errorf("%d events evaluated before shutdown finished, want 200", len(sink.ids()))
	}
	if code := post(t, srv.URL, eventList("late")); code != http.StatusServiceUnavailable {
		t.Errorf("after shutdown: status %d, want 503", code)
	}
	if st := r.Stats(); st.Refused != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestShutdownTimeoutCountsDropped(t *testing.T) {
	r := New(everyEvent(t), nil, Options{Auth: testAuth, QueueSize: 10})
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	post(t, srv.URL, eventList("a", "b", "c"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := r.Close(ctx); err == nil || !strings.Contains(err.Error(), "3 events not evaluated") {
		t.Errorf("err = %v", err)
	}
	if st := r.Stats(); st.Dropped != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestBadEventsCountedAndBatchTooLarge(t *testing.T) {
	sink := &collect{}
	r := New(everyEvent(t), []Sink{sink}, Options{Auth: testAuth, QueueSize: 3, MaxBodyBytes: 1 << 16})
	r.Start()
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	body := []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + event("1") + `,{"verb":12},` + event("3") + `]}`)
	if code := post(t, srv.URL, body); code != http.StatusOK {
		t.Errorf("status %d", code)
	}
	if code := post(t, srv.URL, eventList("a", "b", "c", "d")); code != http.StatusRequestEntityTooLarge {
		t.Errorf("batch larger than the queue: status %d, want 413", code)
	}
	huge := eventList(strings.Repeat("x", 1<<16))
	if code := post(t, srv.URL, huge); code != http.StatusRequestEntityTooLarge {
		t.Errorf("body over the limit: status %d, want 413", code)
	}
	r.Close(context.Background())
	st := r.Stats()
	if st.Received != 2 || st.Dropped != 1 || st.Rejected != 4 || st.Refused != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestMetrics(t *testing.T) {
	r := New(everyEvent(t), nil, Options{Auth: testAuth, QueueSize: 10})
	r.Start()
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	post(t, srv.URL, eventList("1", "2"))
	post(t, srv.URL, []byte(`{"kind":"EventList","items":[{"oops":1}]}`))
	deadline := time.Now().Add(5 * time.Second)
	for r.Stats().Evaluated < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"moat_audit_events_received_total 2",
		"moat_audit_events_evaluated_total 2",
		`moat_audit_alerts_total{rule="test/every-event",severity="info"} 2`,
		`moat_audit_events_dropped_total{reason="decode"} 1`,
		"moat_audit_queue_capacity_events 10",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	r.Close(context.Background())
}

func TestSinks(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		mu.Lock()
		bodies = append(bodies, req.URL.Path+" "+string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	js, err := NewWebhookSink(hook.URL+"/json", "json", nil)
	if err != nil {
		t.Fatal(err)
	}
	sl, err := NewWebhookSink(hook.URL+"/slack", "slack", nil)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "alerts.jsonl")
	fs, err := NewFileSink(file)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r := New(everyEvent(t), []Sink{NewWriterSink("stdout", &out), fs, js, sl}, Options{Auth: testAuth})
	r.Start()
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	post(t, srv.URL, eventList("id-1"))
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var a audit.Alert
	if err := json.Unmarshal(out.Bytes(), &a); err != nil || a.AuditID != "id-1" || a.Rule != "test/every-event" {
		t.Errorf("stdout %q: %v", out.String(), err)
	}
	fb, _ := os.ReadFile(file)
	if !bytes.Equal(fb, out.Bytes()) {
		t.Errorf("file %q, stdout %q", fb, out.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 {
		t.Fatalf("webhook got %d posts", len(bodies))
	}
	for _, b := range bodies {
		switch {
		case strings.HasPrefix(b, "/json "):
			if !strings.Contains(b, `"auditID":"id-1"`) {
				t.Errorf("json webhook body %s", b)
			}
		case strings.HasPrefix(b, "/slack "):
			var m map[string]string
			if err := json.Unmarshal([]byte(strings.TrimPrefix(b, "/slack ")), &m); err != nil || !strings.Contains(m["text"], "*[INFO] test/every-event*") || !strings.Contains(m["text"], "audit ID id-1") {
				t.Errorf("slack body %s", b)
			}
		}
	}
}

func TestWebhookFailureIsReported(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) }))
	defer hook.Close()
	s, err := NewWebhookSink(hook.URL, "json", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Send(audit.Alert{Rule: "x/y"})
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("err = %v", err)
	}
	if _, err := NewWebhookSink("ftp://x", "json", nil); err == nil {
		t.Error("ftp URL accepted")
	}
	if _, err := NewWebhookSink("http://x", "teams", nil); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestBrokenStreamRefusedAndCounted(t *testing.T) {
	r := New(everyEvent(t), nil, Options{Auth: testAuth, QueueSize: 10})
	r.Start()
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	body := []byte("[" + event("1") + "," + event("2") + ", {oops")
	if code := post(t, srv.URL, body); code != http.StatusBadRequest {
		t.Errorf("status %d, want 400", code)
	}
	r.Close(context.Background())
	if st := r.Stats(); st.Received != 0 || st.Rejected != 2 || st.Dropped != 1 {
		t.Errorf("stats %+v", st)
	}
}

package receiver

// Attacks on the receiver from issue 11, each reproduced on loopback: forged events
// (item 7), a queue bounded in events but not in bytes (item 9), failed webhook
// deliveries miscounted (item 12), any Content-Type accepted (item 14), Slack markup in
// usernames (item 10), label values taken from events (item 2).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/audit"
	"github.com/moat-dev/moat/internal/audit/detect"
)

// forgedBinding is the event of the attack: "alice bound cluster-admin to eve", a
// critical alert of the default pack, posted by someone who is not the API server.
func forgedBinding(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../detect/testdata/events/binding-cluster-admin.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct{ Alert []json.RawMessage }
	if err := json.Unmarshal(b, &fx); err != nil || len(fx.Alert) == 0 {
		t.Fatalf("fixture: %v", err)
	}
	body, _ := json.Marshal(map[string]any{"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": fx.Alert[:1]})
	return body
}

func defaultEngine(t testing.TB) *detect.Engine {
	t.Helper()
	set, err := detect.Default()
	if err != nil {
		t.Fatal(err)
	}
	return detect.NewEngine(set, 0)
}

// TestForgedEventNeedsAuthentication: a forged event without the token, or with a wrong
// one, is refused with 401 before its body is read and raises nothing; the same event
// with the token raises the critical alert.
func TestForgedEventNeedsAuthentication(t *testing.T) {
	sink := &collect{}
	r := New(defaultEngine(t), []Sink{sink}, Options{Auth: testAuth})
	r.Start()
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	body := forgedBinding(t)
	for _, tc := range []struct{ name, authorization string }{
		{"no Authorization", ""},
		{"a wrong token", "Bearer not-the-token-0123456789"},
		{"the token as Basic", "Basic " + testToken},
		{"the token without scheme", testToken},
		{"a prefix of the token", "Bearer " + testToken[:len(testToken)-1]},
	} {
		if code := postWith(t, srv.URL+Path, "application/json", tc.authorization, bytes.NewReader(body)); code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", tc.name, code)
		}
	}
	if code := postWith(t, srv.URL+Path, "application/json", "Bearer "+testToken, bytes.NewReader(body)); code != http.StatusOK {
		t.Errorf("with the token: status %d, want 200", code)
	}
	r.Close(context.Background())
	st := r.Stats()
	if st.Refused != 5 || st.Received != 1 {
		t.Errorf("stats %+v", st)
	}
	if len(sink.alerts) != 1 || sink.alerts[0].Rule != "audit/binding-cluster-admin" {
		t.Errorf("alerts %+v, want the one of the authenticated request", sink.alerts)
	}
}

// TestNoAuthRefusesEveryone: a receiver given no way to authenticate refuses every
// batch (fail closed); Unauthenticated must be asked for.
func TestNoAuthRefusesEveryone(t *testing.T) {
	r := New(everyEvent(t), nil, Options{})
	r.Start()
	defer r.Close(context.Background())
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	if code := postWith(t, srv.URL+Path, "application/json", "", bytes.NewReader(eventList("1"))); code != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", code)
	}
	open := New(everyEvent(t), nil, Options{Auth: Auth{Unauthenticated: true}})
	open.Start()
	defer open.Close(context.Background())
	srv2 := httptest.NewServer(open.Handler())
	defer srv2.Close()
	if code := postWith(t, srv2.URL+Path, "application/json", "", bytes.NewReader(eventList("1"))); code != http.StatusOK {
		t.Errorf("Unauthenticated: status %d, want 200", code)
	}
}

// TestOnePath: events are taken on Path only; the old receiver took a POST anywhere.
func TestOnePath(t *testing.T) {
	r := New(everyEvent(t), nil, Options{Auth: testAuth})
	r.Start()
	defer r.Close(context.Background())
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	for _, p := range []string{"/", "/audit/", "/audit/x", "/apis", "/metrics", "/healthz", "/AUDIT"} {
		code := postWith(t, srv.URL+p, "application/json", "Bearer "+testToken, bytes.NewReader(eventList("1")))
		if code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: status %d, want 404 or 405", p, code)
		}
	}
	resp, err := http.Get(srv.URL + Path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET %s: status %d, want 405", Path, resp.StatusCode)
	}
	if st := r.Stats(); st.Received != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestContentTypeAndBody: `hello` with any Content-Type was answered 200. The webhook
// takes application/json (415 otherwise) holding audit events (400 otherwise).
func TestContentTypeAndBody(t *testing.T) {
	r := New(everyEvent(t), nil, Options{Auth: testAuth})
	r.Start()
	defer r.Close(context.Background())
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	for _, tc := range []struct {
		name, contentType, body string
		want                    int
	}{
		{"hello as text", "text/plain", "hello", http.StatusUnsupportedMediaType},
		{"hello with no type", "", "hello", http.StatusUnsupportedMediaType},
		{"events as form", "application/x-www-form-urlencoded", string(eventList("1")), http.StatusUnsupportedMediaType},
		{"a bad media type", "application/json;;;", string(eventList("1")), http.StatusUnsupportedMediaType},
		{"hello as JSON", "application/json", "hello", http.StatusBadRequest},
		{"an empty body", "application/json", "", http.StatusBadRequest},
		{"whitespace", "application/json", " \n\t", http.StatusBadRequest},
		{"a Pod", "application/json", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}}`, http.StatusBadRequest},
		{"an object that is not an event", "application/json", `{"verb":1}`, http.StatusBadRequest},
		{"an EventList of bad items", "application/json", `{"kind":"EventList","items":[{"oops":1}]}`, http.StatusBadRequest},
		{"an empty EventList", "application/json", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`, http.StatusOK},
		{"an EventList", "application/json", string(eventList("1")), http.StatusOK},
		{"an EventList with a charset", "application/json; charset=utf-8", string(eventList("2")), http.StatusOK},
	} {
		if code := postWith(t, srv.URL+Path, tc.contentType, "Bearer "+testToken, strings.NewReader(tc.body)); code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, code, tc.want)
		}
	}
}

// blocked is a sink that holds evaluation until released: the state of a receiver whose
// sink (a stdout nobody reads, a stuck file system) does not keep up.
type blocked struct{ release chan struct{} }

func (b *blocked) Name() string               { return "blocked" }
func (b *blocked) Send(audit.Alert) error     { <-b.release; return nil }
func (b *blocked) Close() error               { return nil }
func (b *blocked) unblock()                   { close(b.release) }
func newBlocked() *blocked                    { return &blocked{release: make(chan struct{})} }
func bigEventList(id string, size int) []byte { return eventList(id + "-" + strings.Repeat("x", size)) }

// TestQueueBoundedInBytes: 12 batches of one 4 MB event each were all accepted while the
// sink was blocked (the queue counted 12 events of 100,000). With a 16 MiB byte bound the
// queue takes at most 16 MiB of them and answers 429 to the rest, whether the body
// announces its length (refused before it is read) or is chunked (read, then refused).
func TestQueueBoundedInBytes(t *testing.T) {
	const bound = 16 << 20
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			sink := newBlocked()
			r := New(everyEvent(t), []Sink{sink}, Options{Auth: testAuth, QueueBytes: bound,
				Reader: audit.Reader{MaxEventSize: 5 << 20}})
			r.Start()
			srv := httptest.NewServer(r.Handler())
			defer srv.Close()
			var accepted int64
			refused := 0
			for i := range 12 {
				body := bigEventList(fmt.Sprint(i), 4<<20)
				var rd io.Reader = bytes.NewReader(body)
				if chunked {
					rd = io.MultiReader(rd) // hides the length: sent chunked
				}
				switch code := postWith(t, srv.URL+Path, "application/json", "Bearer "+testToken, rd); code {
				case http.StatusOK:
					accepted += int64(len(body))
				case http.StatusTooManyRequests:
					refused++
				default:
					t.Fatalf("batch %d: status %d", i, code)
				}
				if q := r.Stats().QueuedBytes; q > bound {
					t.Fatalf("batch %d: %d bytes queued, bound %d", i, q, bound)
				}
			}
			if accepted > bound || accepted < bound-(5<<20) || refused == 0 {
				t.Errorf("accepted %d bytes (bound %d), refused %d batches", accepted, bound, refused)
			}
			t.Logf("accepted %d MiB in %d batches, refused %d", accepted>>20, 12-refused, refused)
			sink.unblock()
			if err := r.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if st := r.Stats(); st.QueuedBytes != 0 || st.Evaluated != int64(12-refused) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestBatchLargerThanQueueBytes: a body that could never fit is 413, not 429 (a retry
// would never succeed).
func TestBatchLargerThanQueueBytes(t *testing.T) {
	r := New(everyEvent(t), nil, Options{Auth: testAuth, QueueBytes: 1 << 10})
	r.Start()
	defer r.Close(context.Background())
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	body := bigEventList("1", 2<<10)
	if code := post(t, srv.URL, body); code != http.StatusRequestEntityTooLarge {
		t.Errorf("announced: status %d, want 413", code)
	}
	if code := postWith(t, srv.URL+Path, "application/json", "Bearer "+testToken, io.MultiReader(bytes.NewReader(body))); code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: status %d, want 413", code)
	}
}

// TestWebhookFailuresCountedPerAlert: three of five alerts fail to deliver. Each failure
// is counted (the old sink counted one per batch of failures, reported with the next
// alert's Send) and logged with the audit ID of the alert that failed (the old one
// named the alert being sent when the failures were noticed).
func TestWebhookFailuresCountedPerAlert(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var a audit.Alert
		json.NewDecoder(req.Body).Decode(&a)
		if strings.HasPrefix(a.AuditID, "bad-") {
			w.WriteHeader(http.StatusBadRequest) // not retried
		}
	}))
	defer hook.Close()
	wh, err := NewWebhookSink(hook.URL, "json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var logBuf syncBuffer
	r := New(everyEvent(t), []Sink{wh}, Options{Auth: testAuth, Log: slog.New(slog.NewTextHandler(&logBuf, nil))})
	r.Start()
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	if code := post(t, srv.URL, eventList("ok-1", "bad-1", "bad-2", "ok-2", "bad-3")); code != http.StatusOK {
		t.Fatal(code)
	}
	closeErr := r.Close(context.Background())
	if closeErr == nil || !strings.Contains(closeErr.Error(), "3 alert(s) not delivered") {
		t.Errorf("close: %v", closeErr)
	}
	if st := r.Stats(); st.SinkErrors != 3 {
		t.Errorf("%d sink errors counted, want 3", st.SinkErrors)
	}
	var blamed []string
	for _, m := range regexp.MustCompile(`msg="alert not delivered".* auditID=(\S+)`).FindAllStringSubmatch(logBuf.String(), -1) {
		blamed = append(blamed, m[1])
	}
	sort.Strings(blamed)
	if strings.Join(blamed, " ") != "bad-1 bad-2 bad-3" {
		t.Errorf("failures blamed on %v, want bad-1 bad-2 bad-3\n%s", blamed, logBuf.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSlackTextEscapesMarkup: a username `<!channel> <https://...|Click>` pinged the
// channel and showed a link. Every value from the event reaches Slack as text.
func TestSlackTextEscapesMarkup(t *testing.T) {
	a := audit.Alert{Rule: "audit/x", Title: "T", Severity: 3, Time: time.Unix(0, 0),
		Message:      "<!channel> <https://evil.example/login|Click here> & <@U012345>",
		User:         "<!channel> <https://evil.example/login|Click>",
		Impersonator: "<!here>`*bold*`",
		SourceIPs:    []string{"<!everyone>"},
		AuditID:      "x\n*[CRITICAL] audit/fake* all clear",
	}
	text := SlackText(a)
	for _, bad := range []string{"<!", "<https", "<@", "|Click>", "\n*[CRITICAL]", "`*bold*`"} {
		if strings.Contains(text, bad) {
			t.Errorf("Slack text keeps %q:\n%s", bad, text)
		}
	}
	for _, want := range []string{"&lt;!channel&gt; &lt;https://evil.example/login|Click&gt;", "&amp;", "&lt;!everyone&gt;", `x\u000a*[CRITICAL]`} {
		if !strings.Contains(text, want) {
			t.Errorf("Slack text lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "\n") != 2 { // title, message, who and where
		t.Errorf("Slack text has %d lines, want 3:\n%s", strings.Count(text, "\n")+1, text)
	}
}

// TestMetricLabelsBounded: 300 events with unique users, verbs, resources, namespaces
// and audit IDs, every one alerting, plus refused and bad requests: /metrics holds the
// same series as after one event, and no value from an event.
func TestMetricLabelsBounded(t *testing.T) {
	r := New(everyEvent(t), nil, Options{Auth: testAuth})
	r.Start()
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	uniq := func(i int) []byte {
		ev := strings.NewReplacer(`"verb":"list"`, fmt.Sprintf(`"verb":"verb-%d"`, i),
			"system:serviceaccount:shop:web", fmt.Sprintf("user-%d-\u202e", i),
			`"resource":"pods"`, fmt.Sprintf(`"resource":"res-%d"`, i),
			`"namespace":"shop"`, fmt.Sprintf(`"namespace":"ns-%d"`, i),
		).Replace(event(fmt.Sprintf("id-%d", i)))
		return []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + ev + `]}`)
	}
	series := func() (int, string) {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var lines []string
		for _, l := range strings.Split(string(b), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
		return len(lines), string(b)
	}
	post(t, srv.URL, uniq(0))
	postWith(t, srv.URL+Path, "text/plain", "Bearer "+testToken, strings.NewReader("x"))
	postWith(t, srv.URL+Path, "application/json", "", strings.NewReader("x"))
	waitEvaluated(t, r, 1)
	before, _ := series()
	for i := 1; i < 300; i++ {
		if code := post(t, srv.URL, uniq(i)); code != http.StatusOK {
			t.Fatalf("event %d: status %d", i, code)
		}
		postWith(t, srv.URL+Path, fmt.Sprintf("text/x-%d", i), "Bearer "+testToken, strings.NewReader("x"))
		postWith(t, srv.URL+Path, "application/json", fmt.Sprintf("Bearer user-%d", i), strings.NewReader("x"))
	}
	waitEvaluated(t, r, 300)
	after, labels := series()
	if after != before {
		t.Errorf("%d series after 300 unique events, %d after one", after, before)
	}
	for _, leak := range []string{"user-", "verb-", "res-", "ns-", "id-", "text/x"} {
		if strings.Contains(labels, leak) {
			t.Errorf("a label holds %q from an event: %s", leak, labels)
		}
	}
	r.Close(context.Background())
	if got := r.ruleLabel("not/a-loaded-rule"); got != "other" {
		t.Errorf("label of an unknown rule: %q", got)
	}
}

func waitEvaluated(t *testing.T, r *Receiver, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.Stats().Evaluated < n {
		if time.Now().After(deadline) {
			t.Fatalf("evaluated %d of %d events in 10s", r.Stats().Evaluated, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

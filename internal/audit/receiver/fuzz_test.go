package receiver

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/audit"
)

// fuzzStatuses are the answers the handler may give.
var fuzzStatuses = map[int]bool{
	http.StatusOK: true, http.StatusBadRequest: true, http.StatusUnauthorized: true, http.StatusNotFound: true,
	http.StatusMethodNotAllowed: true, http.StatusRequestEntityTooLarge: true, http.StatusUnsupportedMediaType: true,
	http.StatusTooManyRequests: true, http.StatusServiceUnavailable: true,
	// the mux redirects a path that is not clean ("/./audit", "audit") to its clean form
	http.StatusMovedPermanently: true, http.StatusTemporaryRedirect: true, http.StatusPermanentRedirect: true,
}

// FuzzHandler sends arbitrary requests (method, path, Content-Type, Authorization,
// Content-Length, body) through the receiver's handler with small limits: it never
// panics, always answers one of the statuses above, never queues more than its bounds,
// and never takes a request without the token.
func FuzzHandler(f *testing.F) {
	ok := "Bearer " + testToken
	f.Add("POST", Path, "application/json", ok, int64(-1), eventList("1", "2"))
	f.Add("POST", Path, "application/json; charset=utf-8", ok, int64(-1), []byte(`[`+event("a")+`]`))
	f.Add("POST", Path, "application/json", ok, int64(-1), []byte(event("x")+"\n"+event("y")+"\n"))
	f.Add("POST", Path, "text/plain", ok, int64(-1), []byte("hello"))
	f.Add("POST", Path, "application/json", ok, int64(-1), []byte("hello"))
	f.Add("POST", Path, "application/json", "", int64(-1), eventList("1"))
	f.Add("POST", Path, "application/json", "Bearer x", int64(-1), eventList("1"))
	f.Add("POST", Path, "application/json", ok, int64(3), eventList("1"))
	f.Add("POST", Path, "application/json", ok, int64(1<<40), eventList("1"))
	f.Add("POST", Path, "application/json", ok, int64(-1), []byte(`{"kind":"EventList","items":[{"verb":12},`))
	f.Add("POST", Path, "application/json", ok, int64(-1), bytes.Repeat([]byte(`{"kind":"EventList","items":[`), 200))
	f.Add("POST", Path, "application/json", ok, int64(-1), eventList(strings.Repeat("z", 5000)))
	f.Add("POST", "/", "application/json", ok, int64(-1), eventList("1"))
	f.Add("GET", "/metrics", "", "", int64(-1), []byte(nil))
	f.Add("GET", "/healthz", "", "", int64(-1), []byte(nil))
	f.Add("PUT", Path, "application/json", ok, int64(-1), eventList("1"))

	const queueSize, queueBytes = 8, 16 << 10
	r := New(everyEvent(f), nil, Options{Auth: testAuth, QueueSize: queueSize, QueueBytes: queueBytes, MaxBodyBytes: 8 << 10,
		Reader: audit.Reader{MaxEventSize: 4 << 10, MaxBatchSize: 8 << 10}})
	r.Start()
	defer r.Close(context.Background())
	h := r.Handler()
	f.Fuzz(func(t *testing.T, method, path, contentType, authorization string, contentLength int64, body []byte) {
		before := r.Stats().Received
		req := &http.Request{Method: method, URL: &url.URL{Path: path}, Header: http.Header{}, Host: "receiver",
			RemoteAddr: "127.0.0.1:1", Body: httptestBody(body), ContentLength: contentLength, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
		if contentLength < 0 || contentLength > int64(len(body)) {
			req.ContentLength = int64(len(body)) // what the server would have read
		} else {
			req.Body = httptestBody(body[:contentLength])
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if !fuzzStatuses[w.Code] {
			t.Fatalf("%s %q: status %d", method, path, w.Code)
		}
		st := r.Stats()
		if st.Queued > queueSize || st.QueuedBytes > queueBytes {
			t.Fatalf("queue over its bounds: %+v", st)
		}
		// The scheme is case-insensitive (RFC 9110 11.1), the token is not.
		valid := len(authorization) == len(ok) && strings.EqualFold(authorization[:7], "Bearer ") && authorization[7:] == testToken
		if !valid && st.Received != before {
			t.Fatalf("events taken with Authorization %q", authorization)
		}
	})
}

func httptestBody(b []byte) *bodyReader { return &bodyReader{Reader: bytes.NewReader(b)} }

type bodyReader struct{ *bytes.Reader }

func (bodyReader) Close() error { return nil }

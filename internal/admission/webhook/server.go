// Package webhook serves admission.Reviewer over HTTPS as a Kubernetes validating
// admission webhook: /validate for AdmissionReview admission.k8s.io/v1, /healthz,
// /readyz and /metrics. It owns everything about running safely under load, failure
// and attack: TLS through servertls (certificate reload, AEAD suites, optional client
// certificates), a request body limit, a per-request deadline passed to the reviewer,
// a bound on reviews in flight with load shedding, bounded responses and metric
// labels, recovery of a panic into a well-formed AdmissionResponse, server timeouts and
// graceful shutdown. It decides nothing itself.
package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/semaphore"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/moat-dev/moat/internal/admission"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/servertls"
)

// Defaults of Options.
const (
	// DefaultMaxBodyBytes is above the API server's own request limit (3 MiB) twice
	// over, since an UPDATE review carries the object and the old object.
	DefaultMaxBodyBytes = 7 << 20
	// DefaultTimeout is the per-request deadline; the printed webhook configuration
	// gives the API server's call 5 s.
	DefaultTimeout = 3 * time.Second
	// ShutdownGrace is how long in-flight requests get to finish at shutdown.
	ShutdownGrace = 10 * time.Second
	// SlotBytes is how much request body one slot of MaxConcurrent stands for: a
	// review costs one slot, plus one for each SlotBytes of its body, so that a few
	// reviews of very large objects fill the server as many small ones do.
	SlotBytes = 256 << 10
)

// DefaultMaxConcurrent is 4 reviews per CPU. A slot is held only while a review is
// decoded and judged (about 0.5 ms for a pod), not while its request is read or
// answered: bench/admission at 1,000 requests/s for 10 s with --max-concurrent 8 on 2
// CPUs, with the machine at load average 12, shed none of 10,000 requests (p99 from
// send 99 ms). Fewer slots bound better what a flood of costly reviews can start.
func DefaultMaxConcurrent() int { return 4 * runtime.GOMAXPROCS(0) }

// Options configure a Server.
type Options struct {
	// CertFile and KeyFile are the PEM serving certificate and key, reloaded when
	// they change on disk.
	CertFile, KeyFile string
	// ClientCAFile, when set, makes clients (the API server) present a certificate
	// that verifies against this PEM bundle.
	ClientCAFile string
	// MinVersion is the lowest TLS version served: tls.VersionTLS12 (when 0) or 1.3.
	MinVersion   uint16
	MaxBodyBytes int64
	Timeout      time.Duration
	// MaxConcurrent bounds the reviews in flight (see SlotBytes); further requests are
	// refused at once with code 429. DefaultMaxConcurrent() when 0.
	MaxConcurrent int
	Logger        *slog.Logger
	// Registry receives the metrics; a new registry when nil.
	Registry *prometheus.Registry
}

// Server is the webhook. Its zero value is not usable: build it with New.
type Server struct {
	opt      Options
	reviewer atomic.Pointer[admission.Reviewer]
	tls      *tls.Config
	metrics  *metrics
	log      *slog.Logger
	slots    *semaphore.Weighted
	// reviews are the reviews running, which may outlive their request's deadline
	// and keep their slots until they end; Serve waits for them at shutdown.
	reviews sync.WaitGroup
	// idle hands a review to a review goroutine that waits for one (see run); the
	// waiting ones end when stopped is closed, at the end of Serve.
	idle     chan func()
	stopped  chan struct{}
	stopOnce sync.Once
	// decide is the reviewer call; tests replace it to provoke panics and delays.
	decide func(ctx context.Context, r *admission.Reviewer, req *admissionv1.AdmissionRequest) admission.Decision
}

// New checks the certificate, key and client CA and builds a server with no reviewer
// yet: it is not ready until SetReviewer.
func New(opt Options) (*Server, error) {
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.MaxConcurrent <= 0 {
		opt.MaxConcurrent = DefaultMaxConcurrent()
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.Registry == nil {
		opt.Registry = prometheus.NewRegistry()
	}
	cfg, err := servertls.Config(servertls.Options{
		CertFile: opt.CertFile, KeyFile: opt.KeyFile, ClientCAFile: opt.ClientCAFile, MinVersion: opt.MinVersion, Logger: opt.Logger,
	})
	if err != nil {
		return nil, err
	}
	s := &Server{opt: opt, tls: cfg, metrics: newMetrics(opt.Registry, rule.All()), log: opt.Logger,
		slots: semaphore.NewWeighted(int64(opt.MaxConcurrent)), idle: make(chan func()), stopped: make(chan struct{})}
	s.decide = func(ctx context.Context, r *admission.Reviewer, req *admissionv1.AdmissionRequest) admission.Decision {
		return r.DecideContext(ctx, req)
	}
	return s, nil
}

// SetReviewer installs the rules; the server is ready from then on.
func (s *Server) SetReviewer(r *admission.Reviewer) { s.reviewer.Store(r) }

// Handler is the server's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/validate", s.validate)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if s.reviewer.Load() == nil {
			http.Error(w, "rules not loaded", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	mux.Handle("/metrics", promhttp.HandlerFor(s.opt.Registry, promhttp.HandlerOpts{}))
	return s.recoverHTTP(mux)
}

// TLSConfig serves the current certificate from disk (see servertls).
func (s *Server) TLSConfig() *tls.Config { return s.tls }

// Serve serves TLS on ln until ctx is done, then shuts down gracefully: it stops
// accepting, lets in-flight requests and reviews finish (up to ShutdownGrace) and
// returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		TLSConfig:         s.TLSConfig(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      s.opt.Timeout + 5*time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		ConnState: func(_ net.Conn, state http.ConnState) {
			if state == http.StateNew {
				s.metrics.conns.Inc()
			}
		},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	defer s.stopOnce.Do(func() { close(s.stopped) })
	done := make(chan struct{})
	go func() { s.reviews.Wait(); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		s.log.Warn("reviews still running at the end of the shutdown grace period")
	}
	return err
}

// recoverHTTP turns a panic outside the review itself into a 500.
func (s *Server) recoverHTTP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.metrics.errors.WithLabelValues("panic").Inc()
				s.log.Error("panic in handler", "path", clip(r.URL.Path, 256), "panic", clip(fmt.Sprint(v), 1024), "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		h.ServeHTTP(w, r)
	})
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		s.metrics.errors.WithLabelValues("method").Inc()
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		s.metrics.errors.WithLabelValues("content_type").Inc()
		http.Error(w, "want Content-Type application/json", http.StatusUnsupportedMediaType)
		return
	}
	rev := s.reviewer.Load()
	if rev == nil {
		s.metrics.errors.WithLabelValues("not_ready").Inc()
		http.Error(w, "rules not loaded", http.StatusServiceUnavailable)
		return
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, s.opt.MaxBodyBytes), r.ContentLength)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.metrics.errors.WithLabelValues("body_too_large").Inc()
			http.Error(w, fmt.Sprintf("request body larger than %d bytes", s.opt.MaxBodyBytes), http.StatusRequestEntityTooLarge)
			return
		}
		s.metrics.errors.WithLabelValues("read").Inc()
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	// Decoding and judging are the costly part: they run only in a free slot.
	weight := min(1+int64(len(body))/SlotBytes, int64(s.opt.MaxConcurrent))
	if !s.slots.TryAcquire(weight) {
		s.shed(w, body)
		return
	}
	release := func() { s.slots.Release(weight) }
	review, err := ParseReview(body)
	if err != nil {
		release()
		s.metrics.errors.WithLabelValues("decode").Inc()
		http.Error(w, clip(err.Error(), 1024), http.StatusBadRequest)
		return
	}
	req := review.Request // its objects are slices of body
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout(r))
	defer cancel()
	d := s.review(ctx, rev, req, release)
	bound(d)
	s.observe(req, d, time.Since(start))
	s.write(w, review.TypeMeta, req.UID, d.Response)
}

// presizeBody is the most of a request's Content-Length that readBody allocates before
// the body arrives: a pod's review is a few KB, and a client that announces megabytes
// and sends nothing must not pin them.
const presizeBody = 64 << 10

// readBody reads r to its end into a buffer sized for contentLength (up to
// presizeBody) instead of growing one from 512 bytes.
func readBody(r io.Reader, contentLength int64) ([]byte, error) {
	var buf bytes.Buffer
	if contentLength > 0 {
		buf.Grow(int(min(contentLength, presizeBody)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// isJSON says whether a Content-Type is application/json, with parameters or not.
func isJSON(contentType string) bool {
	if contentType == "application/json" { // as the API server sends it: no parsing
		return true
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "application/json"
}

// answers are buffers for answers, reused: an answer is encoded whole, then sent with
// its Content-Length in one write instead of in chunks.
var answers = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

func (s *Server) write(w http.ResponseWriter, tm metav1.TypeMeta, uid types.UID, resp *admissionv1.AdmissionResponse) {
	resp.UID = uid
	buf := answers.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= 256<<10 { // an answer is bounded (bound.go); keep no outlier
			answers.Put(buf)
		}
	}()
	out, err := admission.AppendReview((*buf)[:0], tm, resp)
	*buf = out
	if err != nil {
		s.log.Warn("encode response", "uid", clip(string(uid), 128), "err", err)
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	if _, err := w.Write(out); err != nil {
		s.log.Warn("write response", "uid", clip(string(uid), 128), "err", err)
	}
}

// timeout is the review's deadline: the server's, or the API server's own when it is
// shorter (the API server sends what remains of its call as ?timeout=).
func (s *Server) timeout(r *http.Request) time.Duration {
	t := s.opt.Timeout
	if d, err := time.ParseDuration(r.URL.Query().Get("timeout")); err == nil && d > 0 && d < t {
		t = d
	}
	return t
}

// shed refuses a request at once because every slot is taken. The answer is an
// AdmissionReview with the request's UID, allowed false and code 429 with a retry
// delay, not an HTTP error: the API server then refuses the request whatever the
// webhook's failurePolicy (an HTTP error under failurePolicy Ignore would admit it
// unreviewed, so that a flood would open the door), and passes the 429 and a
// Retry-After header to the client, which client-go and kubectl retry on their own.
// Only the envelope is decoded, not the object.
func (s *Server) shed(w http.ResponseWriter, body []byte) {
	s.metrics.shed.Inc()
	var env struct {
		metav1.TypeMeta
		Request *struct {
			UID types.UID `json:"uid"`
		} `json:"request"`
	}
	err := json.Unmarshal(body, &env)
	if err == nil {
		err = checkEnvelope(env.TypeMeta, env.Request != nil, env.Request != nil && env.Request.UID != "")
	}
	if err != nil {
		s.metrics.errors.WithLabelValues("decode").Inc()
		http.Error(w, clip(err.Error(), 1024), http.StatusBadRequest)
		return
	}
	s.log.Warn("overloaded: request refused", "uid", clip(string(env.Request.UID), 128), "maxConcurrent", s.opt.MaxConcurrent)
	s.metrics.decisions.WithLabelValues("error").Inc()
	s.write(w, env.TypeMeta, env.Request.UID, Overloaded(env.Request.UID, s.opt.MaxConcurrent))
}

// Overloaded is the answer to a request shed under load: refused with code 429 and a
// suggestion to retry after a second.
func Overloaded(uid types.UID, maxConcurrent int) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{UID: uid, Allowed: false, Result: &metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusTooManyRequests, Reason: metav1.StatusReasonTooManyRequests,
		Message: fmt.Sprintf("moat: the admission webhook is overloaded (%d reviews in flight, its --max-concurrent); the request was not reviewed, retry shortly", maxConcurrent),
		Details: &metav1.StatusDetails{RetryAfterSeconds: 1},
	}}
}

// ParseReview reads an AdmissionReview admission.k8s.io/v1 with a request that has a
// uid (see admission.DecodeReview: the objects of the request are slices of body).
func ParseReview(body []byte) (*admissionv1.AdmissionReview, error) {
	review, err := admission.DecodeReview(body)
	if err != nil {
		return nil, fmt.Errorf("decode AdmissionReview: %w", err)
	}
	req := review.Request
	if err := checkEnvelope(review.TypeMeta, req != nil, req != nil && req.UID != ""); err != nil {
		return nil, err
	}
	return review, nil
}

// checkEnvelope: the API server always sends apiVersion, kind and request.uid, and
// needs the uid back; a review without them is not the API server's.
func checkEnvelope(tm metav1.TypeMeta, hasRequest, hasUID bool) error {
	if tm.APIVersion != "admission.k8s.io/v1" || tm.Kind != "AdmissionReview" {
		return fmt.Errorf("want an AdmissionReview of admission.k8s.io/v1, got kind %q of %q", clip(tm.Kind, 64), clip(tm.APIVersion, 64))
	}
	if !hasRequest {
		return errors.New("AdmissionReview has no request")
	}
	if !hasUID {
		return errors.New("AdmissionReview request has no uid")
	}
	return nil
}

// review runs the reviewer under ctx, whose deadline the reviewer honours, recovering
// a panic into an error response that still carries the request's UID. A review that
// outlives its deadline is answered with an error at once; its goroutine keeps its
// slot until it ends, so that runaway reviews shed new ones instead of piling up.
func (s *Server) review(ctx context.Context, rev *admission.Reviewer, req *admissionv1.AdmissionRequest, release func()) admission.Decision {
	done := make(chan admission.Decision, 1)
	s.reviews.Add(1)
	s.run(func() {
		defer s.reviews.Done()
		defer release()
		defer func() {
			if v := recover(); v != nil {
				what := describeRequest(req)
				s.metrics.errors.WithLabelValues("panic").Inc()
				s.log.Error("panic in review", "uid", clip(string(req.UID), 128), "request", what, "panic", clip(fmt.Sprint(v), 1024), "stack", string(debug.Stack()))
				done <- admission.Decision{Response: admission.Errored(req.UID, http.StatusInternalServerError, fmt.Errorf("internal error reviewing %s", what))}
			}
		}()
		done <- s.decide(ctx, rev, req)
	})
	select {
	case d := <-done:
		return d
	case <-ctx.Done():
		what := describeRequest(req)
		s.metrics.errors.WithLabelValues("timeout").Inc()
		s.log.Warn("review deadline exceeded", "uid", clip(string(req.UID), 128), "request", what)
		return admission.Decision{Response: admission.Errored(req.UID, http.StatusGatewayTimeout, fmt.Errorf("review of %s exceeded its deadline", what))}
	}
}

// reviewIdle is how long a review goroutine waits for the next review before it ends.
const reviewIdle = 30 * time.Second

// run runs a review on a goroutine of its own: one that finished a review and waits
// for the next, else a new one. A new goroutine starts with a small stack that
// decoding and judging grow by copying, which took 4% of the webhook's CPU time at
// 1,000 requests/s; a waiting one has grown it already. There are about as many of
// them as reviews in flight, which the slots bound; each ends after reviewIdle without
// work, or when Serve returns. A review is never queued: when no goroutine waits, a
// new one starts.
func (s *Server) run(review func()) {
	select {
	case s.idle <- review:
	default:
		go s.reviewLoop(review)
	}
}

func (s *Server) reviewLoop(review func()) {
	t := time.NewTimer(reviewIdle)
	defer t.Stop()
	for {
		review()
		t.Reset(reviewIdle)
		select {
		case review = <-s.idle:
		case <-t.C:
			return
		case <-s.stopped:
			return
		}
	}
}

// describeRequest names the object under review for logs and errors, each part
// clipped: they come from the request as sent.
func describeRequest(req *admissionv1.AdmissionRequest) string {
	return fmt.Sprintf("%s %s/%s", clip(req.Kind.Kind, 64), clip(req.Namespace, 64), clip(req.Name, 256))
}

func (s *Server) observe(req *admissionv1.AdmissionRequest, d admission.Decision, took time.Duration) {
	m := s.metrics
	m.requests.WithLabelValues(m.kindLabel(req.Kind.Kind), operationLabel(req.Operation)).Inc()
	m.latency.Observe(took.Seconds())
	decision := "allowed"
	switch {
	case d.Exempt != "":
		decision = "exempt"
	case !d.Response.Allowed && d.Response.Result != nil && d.Response.Result.Code != http.StatusForbidden:
		decision = "error"
	case !d.Response.Allowed:
		decision = "denied"
	}
	m.decisions.WithLabelValues(decision).Inc()
	for _, j := range d.Findings {
		m.countFinding(j.RuleID, j.Mode)
	}
	if d.Ignore != "" {
		m.ignore.WithLabelValues(ignoreLabel(d.Ignore)).Inc()
	}
	if !s.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	s.log.Debug("reviewed", "uid", clip(string(req.UID), 128), "request", describeRequest(req),
		"operation", clip(string(req.Operation), 16), "dryRun", req.DryRun != nil && *req.DryRun, "decision", decision, "findings", len(d.Findings), "took", took)
}

// TuneGC trades memory for latency unless GOGC or GOMEMLIMIT say otherwise. A review
// of a privileged pod allocates about 70 KB (BenchmarkValidateHandler; 135 KB before
// issue 14) and keeps nothing; the live heap is about 7 MB. At 1,000 requests/s the
// default GOGC ran a collection every few dozen milliseconds, and its assists showed up
// in p99: the 60 s load test of bench/admission gave p99 5.5 ms with GOGC=100 and 4.5
// ms with GOGC=400, peak RSS 97 and 91 MB. With the allocations of issue 14 cut, hey at
// 1,000 requests/s measured no p99 better than 400's beyond noise: GOGC=100 cost 10-30%
// more CPU a review (RSS 121 MB against 145), 1600 and off (under the soft limit) the
// same CPU for 185 MB (bench/admission/README.md). The soft memory limit keeps the heap
// bounded, well inside the printed Deployment's 256Mi limit.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(100 << 20)
	}
}

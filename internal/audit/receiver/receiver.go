// Package receiver is the HTTP endpoint for the API server's audit webhook backend: it
// takes EventList batches, queues them, evaluates the detection rules over every event and
// hands alerts to sinks. server.go puts it on the network (`moat serve audit`).
//
// Who may post: only a client that authenticates (Auth) — by a TLS client certificate
// verified against the client CA, or by a bearer token — and only to Path, with
// Content-Type application/json and a body that decodes as audit events. An event posted
// here is believed (it can raise a critical alert), so a receiver with no authentication
// refuses every batch unless Auth.Unauthenticated says otherwise.
//
// No event is lost silently: a batch is acknowledged (200) only once all its events are in
// the queue; the queue is bounded in events and in bytes, and a batch that does not fit is
// refused with 429, which the API server's batching backend retries; shutdown refuses new
// batches (503) and drains the queue. Counters: received (accepted into the queue),
// evaluated, alerted, rejected (events read, then refused with 429, 413, 400 or 503),
// dropped (events that could not be decoded, or left when a drain ran out of time) and
// refused requests (refused before the body was read: no authentication, wrong content
// type, or a queue that is already full, a body announced larger than it, shutdown).
//
// Every metric label takes its value from a fixed set: rule IDs of the loaded rules,
// severities, reasons, sink names. Nothing an event says (user, verb, resource) becomes a
// label, so a stream of unique values cannot grow /metrics.
package receiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/moat-dev/moat/internal/audit"
	"github.com/moat-dev/moat/internal/audit/detect"
)

// Path is the one path the webhook is served on; POST elsewhere is 404.
const Path = "/audit"

// Defaults.
const (
	DefaultQueueSize    = 100000   // events
	DefaultQueueBytes   = 64 << 20 // request bytes held in the queue
	DefaultMaxBodyBytes = 64 << 20 // one request
)

// otherLabel stands for any label value outside the fixed set.
const otherLabel = "other"

// Sink receives alerts. Send is called from the receiver's single evaluation goroutine.
type Sink interface {
	Name() string
	Send(audit.Alert) error
	Close() error
}

// FailureReporter is a sink that delivers after Send returned (on its own goroutine): the
// receiver gives it a function to call once for every alert it failed to deliver, so that
// each failure is counted and logged with the alert it concerns.
type FailureReporter interface {
	ReportFailures(func(audit.Alert, error))
}

// Options tune a Receiver.
type Options struct {
	QueueSize    int   // events the queue holds (DefaultQueueSize if 0)
	QueueBytes   int64 // request bytes the queue holds (DefaultQueueBytes if 0)
	MaxBodyBytes int64 // largest request body (DefaultMaxBodyBytes if 0)
	Reader       audit.Reader
	Auth         Auth         // who may post; the zero value refuses everyone
	Log          *slog.Logger // nil: discard
}

// Stats are the receiver's counters.
type Stats struct {
	Received, Evaluated, Alerted, Rejected, Dropped, SinkErrors int64
	Refused                                                     int64 // requests refused before their body was read
	Queued                                                      int
	QueuedBytes                                                 int64
}

// batch is a request's events and the bytes its body took.
type batch struct {
	events []*audit.Event
	bytes  int64
}

// Receiver is the audit webhook endpoint.
type Receiver struct {
	engine *detect.Engine
	sinks  []Sink
	opts   Options
	auth   authenticator
	log    *slog.Logger
	rules  map[string]bool // the rule IDs that may be a label value

	mu          sync.Mutex
	queued      int   // events in the queue or being evaluated
	queuedBytes int64 // their request bytes
	reserved    int64 // bytes announced (Content-Length) by requests being read
	closed      bool
	queue       chan batch
	done        chan struct{}

	received, evaluated, alerted, rejected, dropped, sinkErrors, refused atomic.Int64

	reg      *prometheus.Registry
	mRecv    prometheus.Counter
	mEval    prometheus.Counter
	mAlert   *prometheus.CounterVec
	mReject  *prometheus.CounterVec
	mDrop    *prometheus.CounterVec
	mSink    *prometheus.CounterVec
	mRefused *prometheus.CounterVec
}

// New makes a receiver; call Start to begin evaluating.
func New(engine *detect.Engine, sinks []Sink, opts Options) *Receiver {
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.QueueBytes <= 0 {
		opts.QueueBytes = DefaultQueueBytes
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Receiver{engine: engine, sinks: sinks, opts: opts, auth: newAuthenticator(opts.Auth), log: log,
		rules: map[string]bool{}, queue: make(chan batch, opts.QueueSize), done: make(chan struct{}), reg: prometheus.NewRegistry()}
	for _, rule := range engine.Set().Rules {
		r.rules[rule.ID] = true
	}
	r.mRecv = prometheus.NewCounter(prometheus.CounterOpts{Name: "moat_audit_events_received_total", Help: "Audit events accepted into the queue."})
	r.mEval = prometheus.NewCounter(prometheus.CounterOpts{Name: "moat_audit_events_evaluated_total", Help: "Audit events evaluated by the rules."})
	r.mAlert = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "moat_audit_alerts_total", Help: "Alerts raised, by rule and severity."}, []string{"rule", "severity"})
	r.mReject = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "moat_audit_events_rejected_total", Help: "Audit events refused (the sender may retry), by reason: queue_full, too_large, shutting_down, bad_request."}, []string{"reason"})
	r.mDrop = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "moat_audit_events_dropped_total", Help: "Audit events lost, by reason: decode, shutdown."}, []string{"reason"})
	r.mSink = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "moat_audit_sink_errors_total", Help: "Alerts a sink failed to deliver."}, []string{"sink"})
	r.mRefused = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "moat_audit_requests_refused_total", Help: "Requests refused before their body was read (their events are not counted elsewhere), by reason: unauthenticated, content_type, queue_full, too_large, shutting_down."}, []string{"reason"})
	queued := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "moat_audit_queue_events", Help: "Events waiting in the queue or being evaluated."}, func() float64 {
		r.mu.Lock()
		defer r.mu.Unlock()
		return float64(r.queued)
	})
	queuedBytes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "moat_audit_queue_bytes", Help: "Request bytes of the events waiting in the queue or being evaluated."}, func() float64 {
		r.mu.Lock()
		defer r.mu.Unlock()
		return float64(r.queuedBytes)
	})
	capacity := prometheus.NewGauge(prometheus.GaugeOpts{Name: "moat_audit_queue_capacity_events", Help: "Events the queue holds."})
	capacity.Set(float64(opts.QueueSize))
	capacityBytes := prometheus.NewGauge(prometheus.GaugeOpts{Name: "moat_audit_queue_capacity_bytes", Help: "Request bytes the queue holds."})
	capacityBytes.Set(float64(opts.QueueBytes))
	r.reg.MustRegister(r.mRecv, r.mEval, r.mAlert, r.mReject, r.mDrop, r.mSink, r.mRefused, queued, queuedBytes, capacity, capacityBytes)
	for _, s := range sinks {
		if fr, ok := s.(FailureReporter); ok {
			name := s.Name()
			fr.ReportFailures(func(a audit.Alert, err error) { r.sinkFailed(name, a, err) })
		}
	}
	return r
}

// Registry is the receiver's Prometheus registry.
func (r *Receiver) Registry() *prometheus.Registry { return r.reg }

// Stats returns the counters.
func (r *Receiver) Stats() Stats {
	r.mu.Lock()
	q, qb := r.queued, r.queuedBytes
	r.mu.Unlock()
	return Stats{Received: r.received.Load(), Evaluated: r.evaluated.Load(), Alerted: r.alerted.Load(),
		Rejected: r.rejected.Load(), Dropped: r.dropped.Load(), SinkErrors: r.sinkErrors.Load(),
		Refused: r.refused.Load(), Queued: q, QueuedBytes: qb}
}

// Handler serves the webhook (POST Path), GET /metrics and GET /healthz; anything else is
// 404 (or 405 for another method on a known path).
func (r *Receiver) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("POST "+Path, r.ingest)
	return r.recoverHTTP(mux)
}

// recoverHTTP turns a panic in a handler into a 500 that is logged with its stack.
func (r *Receiver) recoverHTTP(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				r.log.Error("panic in handler", "path", req.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		h.ServeHTTP(w, req)
	})
}

func (r *Receiver) ingest(w http.ResponseWriter, req *http.Request) {
	if !r.auth.allows(req) {
		r.refuse("unauthenticated")
		r.log.Warn("unauthenticated audit request refused", "remote", req.RemoteAddr)
		if r.auth.token {
			w.Header().Set("WWW-Authenticate", `Bearer realm="moat-audit"`)
		}
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		r.refuse("content_type")
		http.Error(w, "Content-Type must be application/json", http.StatusUnsupportedMediaType)
		return
	}
	// A body the queue cannot take is refused before it is read: announced sizes are
	// reserved while the body is decoded, so concurrent requests cannot all pass.
	announced := max(req.ContentLength, 0)
	if code, msg := r.reserve(announced); code != 0 {
		writeRefusal(w, code, msg)
		return
	}
	body := &countingReader{r: http.MaxBytesReader(w, req.Body, r.opts.MaxBodyBytes)}
	var events []*audit.Event
	bad := 0
	err := r.opts.Reader.Decode(body, "request", func(ev *audit.Event) error {
		events = append(events, ev)
		return nil
	}, func(p audit.Problem) {
		bad++
		r.log.Warn("bad audit event", "remote", req.RemoteAddr, "problem", p.Error())
	})
	if bad > 0 {
		r.dropped.Add(int64(bad))
		r.mDrop.WithLabelValues("decode").Add(float64(bad))
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		// The events of a body that was cut cannot all be read: refuse the whole request.
		r.release(announced)
		r.reject(len(events), "too_large")
		http.Error(w, fmt.Sprintf("request body larger than %d bytes", r.opts.MaxBodyBytes), http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		// The stream itself is broken (e.g. a cut JSON array): what came before it is
		// refused too, so that the sender's error covers the whole request.
		r.release(announced)
		r.reject(len(events), "bad_request")
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case len(events) == 0 && (bad > 0 || !body.sawValue):
		// Nothing in the body is an audit event ("hello", an empty body, a Pod): the
		// sender is not the API server's webhook backend.
		r.release(announced)
		http.Error(w, "the body holds no audit events (want an audit.k8s.io/v1 EventList)", http.StatusBadRequest)
		return
	case len(events) == 0: // an empty EventList
		r.release(announced)
		w.WriteHeader(http.StatusOK)
		return
	}
	code := r.enqueue(batch{events: events, bytes: body.n}, announced)
	switch code {
	case http.StatusOK:
		w.WriteHeader(http.StatusOK)
	case http.StatusRequestEntityTooLarge:
		writeRefusal(w, code, "batch of "+strconv.Itoa(len(events))+" events ("+strconv.FormatInt(body.n, 10)+" bytes) is larger than the queue")
	default:
		writeRefusal(w, code, "")
	}
}

func writeRefusal(w http.ResponseWriter, code int, msg string) {
	switch code {
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
		if msg == "" {
			msg = "audit queue full"
		}
	case http.StatusServiceUnavailable:
		if msg == "" {
			msg = "shutting down"
		}
	}
	http.Error(w, msg, code)
}

// reserve holds n announced bytes for a request about to be read, or says why not
// (status and message; status 0 when reserved). A request refused here is counted in
// refused requests, not in rejected events: its events were never read.
func (r *Receiver) reserve(n int64) (int, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		r.refuse("shutting_down")
		return http.StatusServiceUnavailable, ""
	case n > r.opts.MaxBodyBytes:
		r.refuse("too_large")
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", r.opts.MaxBodyBytes)
	case n > r.opts.QueueBytes:
		r.refuse("too_large")
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes is larger than the queue (%d bytes)", n, r.opts.QueueBytes)
	case r.queuedBytes+r.reserved+n > r.opts.QueueBytes, r.queued >= r.opts.QueueSize:
		r.refuse("queue_full")
		return http.StatusTooManyRequests, ""
	}
	r.reserved += n
	return 0, ""
}

func (r *Receiver) release(n int64) {
	r.mu.Lock()
	r.reserved -= n
	r.mu.Unlock()
}

// enqueue puts the batch in the queue whole or not at all, releases the bytes reserved
// for it, and says which status to answer.
func (r *Receiver) enqueue(b batch, reserved int64) int {
	n := len(b.events)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reserved -= reserved
	switch {
	case r.closed:
		r.reject(n, "shutting_down")
		return http.StatusServiceUnavailable
	case n > r.opts.QueueSize || b.bytes > r.opts.QueueBytes:
		r.reject(n, "too_large")
		return http.StatusRequestEntityTooLarge
	case r.queued+n > r.opts.QueueSize || r.queuedBytes+r.reserved+b.bytes > r.opts.QueueBytes:
		r.reject(n, "queue_full")
		return http.StatusTooManyRequests
	}
	r.queued += n
	r.queuedBytes += b.bytes
	// The channel holds QueueSize batches of at least one event each, and queued events
	// never exceed QueueSize: this send never blocks.
	r.queue <- b
	r.received.Add(int64(n))
	r.mRecv.Add(float64(n))
	return http.StatusOK
}

func (r *Receiver) reject(n int, reason string) {
	r.rejected.Add(int64(n))
	r.mReject.WithLabelValues(reason).Add(float64(n))
}

func (r *Receiver) refuse(reason string) {
	r.refused.Add(1)
	r.mRefused.WithLabelValues(reason).Inc()
}

// Start begins evaluating queued events on one goroutine (rules with rate state see events
// in arrival order).
func (r *Receiver) Start() {
	go func() {
		defer close(r.done)
		for b := range r.queue {
			for _, ev := range b.events {
				r.engine.Eval(ev, r.emit)
				r.evaluated.Add(1)
				r.mEval.Inc()
			}
			r.mu.Lock()
			r.queued -= len(b.events)
			r.queuedBytes -= b.bytes
			r.mu.Unlock()
		}
	}()
}

func (r *Receiver) emit(a audit.Alert) {
	r.alerted.Add(1)
	r.mAlert.WithLabelValues(r.ruleLabel(a.Rule), a.Severity.String()).Inc()
	for _, s := range r.sinks {
		if err := s.Send(a); err != nil {
			r.sinkFailed(s.Name(), a, err)
		}
	}
}

// ruleLabel is the rule label of an alert: the ID of a loaded rule, else "other".
func (r *Receiver) ruleLabel(id string) string {
	if r.rules[id] {
		return id
	}
	return otherLabel
}

// sinkFailed counts one alert a sink did not deliver, and logs it with its own audit ID.
// It is called from the evaluation goroutine or from a sink's delivery goroutine.
func (r *Receiver) sinkFailed(sink string, a audit.Alert, err error) {
	r.sinkErrors.Add(1)
	r.mSink.WithLabelValues(sink).Inc()
	r.log.Error("alert not delivered", "sink", sink, "rule", a.Rule, "auditID", a.AuditID, "err", err)
}

// Close refuses further batches and waits until every queued event is evaluated (or ctx
// ends: the events left are counted as dropped), then closes the sinks.
func (r *Receiver) Close(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	var err error
	select {
	case <-r.done:
	case <-ctx.Done():
		r.mu.Lock()
		left := r.queued
		r.mu.Unlock()
		r.dropped.Add(int64(left))
		r.mDrop.WithLabelValues("shutdown").Add(float64(left))
		err = fmt.Errorf("shutdown before the queue drained: %d events not evaluated: %w", left, ctx.Err())
	}
	for _, s := range r.sinks {
		if cerr := s.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("sink %s: %w", s.Name(), cerr))
		}
	}
	return err
}

// countingReader counts the bytes read and notes whether any was not JSON whitespace.
type countingReader struct {
	r        io.Reader
	n        int64
	sawValue bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if !c.sawValue {
		for _, b := range p[:n] {
			if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
				c.sawValue = true
				break
			}
		}
	}
	return n, err
}

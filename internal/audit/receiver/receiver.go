// Package receiver is the HTTP endpoint for the API server's audit webhook backend: it
// takes EventList batches, queues them, evaluates the detection rules over every event and
// hands alerts to sinks.
//
// No event is lost silently: a batch is acknowledged (200) only once all its events are in
// the queue; the queue is bounded and a batch that does not fit is refused with 429, which
// the API server's batching backend retries; shutdown refuses new batches (503) and drains
// the queue. Counters: received (accepted into the queue), evaluated, alerted, rejected
// (refused with 429, 413 or 503) and dropped (events that could not be decoded, or left
// when a drain ran out of time).
package receiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/moat-dev/moat/internal/audit"
	"github.com/moat-dev/moat/internal/audit/detect"
)

// Defaults.
const (
	DefaultQueueSize    = 100000   // events
	DefaultMaxBodyBytes = 64 << 20 // one request
)

// Sink receives alerts. Send is called from the receiver's single evaluation goroutine.
type Sink interface {
	Name() string
	Send(audit.Alert) error
	Close() error
}

// Options tune a Receiver.
type Options struct {
	QueueSize    int   // events the queue holds (DefaultQueueSize if 0)
	MaxBodyBytes int64 // largest request body (DefaultMaxBodyBytes if 0)
	Reader       audit.Reader
	Log          *slog.Logger // nil: discard
}

// Stats are the receiver's counters.
type Stats struct {
	Received, Evaluated, Alerted, Rejected, Dropped, SinkErrors int64
	Queued                                                      int
}

// Receiver is the audit webhook endpoint.
type Receiver struct {
	engine *detect.Engine
	sinks  []Sink
	opts   Options
	log    *slog.Logger

	mu     sync.Mutex
	queued int // events in the queue or being evaluated
	closed bool
	queue  chan []*audit.Event
	done   chan struct{}

	received, evaluated, alerted, rejected, dropped, sinkErrors atomic.Int64

	reg     *prometheus.Registry
	mRecv   prometheus.Counter
	mEval   prometheus.Counter
	mAlert  *prometheus.CounterVec
	mReject *prometheus.CounterVec
	mDrop   *prometheus.CounterVec
	mSink   *prometheus.CounterVec
}

// New makes a receiver; call Start to begin evaluating.
func New(engine *detect.Engine, sinks []Sink, opts Options) *Receiver {
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Receiver{engine: engine, sinks: sinks, opts: opts, log: log,
		queue: make(chan []*audit.Event, opts.QueueSize), done: make(chan struct{}), reg: prometheus.NewRegistry()}
	r.mRecv = prometheus.NewCounter(prometheus.CounterOpts{Name: "moat_audit_events_received_total", Help: "Audit events accepted into the queue."})
	r.mEval = prometheus.NewCounter(prometheus.CounterOpts{Name: "moat_audit_events_evaluated_total", Help: "Audit events evaluated by the rules."})
	r.mAlert = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "moat_audit_alerts_total", Help: "Alerts raised, by rule and severity."}, []string{"rule", "severity"})
	r.mReject = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "moat_audit_events_rejected_total", Help: "Audit events refused (the sender may retry), by reason: queue_full, too_large, shutting_down, bad_request."}, []string{"reason"})
	r.mDrop = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "moat_audit_events_dropped_total", Help: "Audit events lost, by reason: decode, shutdown."}, []string{"reason"})
	r.mSink = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "moat_audit_sink_errors_total", Help: "Alerts a sink failed to deliver."}, []string{"sink"})
	queued := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "moat_audit_queue_events", Help: "Events waiting in the queue or being evaluated."}, func() float64 {
		r.mu.Lock()
		defer r.mu.Unlock()
		return float64(r.queued)
	})
	capacity := prometheus.NewGauge(prometheus.GaugeOpts{Name: "moat_audit_queue_capacity_events", Help: "Events the queue holds."})
	capacity.Set(float64(opts.QueueSize))
	r.reg.MustRegister(r.mRecv, r.mEval, r.mAlert, r.mReject, r.mDrop, r.mSink, queued, capacity)
	return r
}

// Registry is the receiver's Prometheus registry.
func (r *Receiver) Registry() *prometheus.Registry { return r.reg }

// Stats returns the counters.
func (r *Receiver) Stats() Stats {
	r.mu.Lock()
	q := r.queued
	r.mu.Unlock()
	return Stats{Received: r.received.Load(), Evaluated: r.evaluated.Load(), Alerted: r.alerted.Load(),
		Rejected: r.rejected.Load(), Dropped: r.dropped.Load(), SinkErrors: r.sinkErrors.Load(), Queued: q}
}

// Handler serves the webhook (POST on any path), /metrics and /healthz.
func (r *Receiver) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("POST /", r.ingest)
	return mux
}

func (r *Receiver) ingest(w http.ResponseWriter, req *http.Request) {
	body := http.MaxBytesReader(w, req.Body, r.opts.MaxBodyBytes)
	var batch []*audit.Event
	bad := 0
	err := r.opts.Reader.Decode(body, "request", func(ev *audit.Event) error {
		batch = append(batch, ev)
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
	if errors.As(err, &tooBig) {
		// The events of a body that was cut cannot all be read: refuse the whole request.
		n := len(batch)
		r.reject(n, "too_large")
		http.Error(w, fmt.Sprintf("request body larger than %d bytes", r.opts.MaxBodyBytes), http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		// The stream itself is broken (e.g. a cut JSON array): what came before it is
		// refused too, so that the sender's error covers the whole request.
		r.reject(len(batch), "bad_request")
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if len(batch) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	switch code := r.enqueue(batch); code {
	case http.StatusOK:
		w.WriteHeader(http.StatusOK)
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "audit queue full", code)
	case http.StatusRequestEntityTooLarge:
		http.Error(w, "batch of "+strconv.Itoa(len(batch))+" events is larger than the queue", code)
	default:
		http.Error(w, "shutting down", code)
	}
}

// enqueue puts the batch in the queue whole or not at all, and says which status to answer.
func (r *Receiver) enqueue(batch []*audit.Event) int {
	n := len(batch)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.closed:
		r.reject(n, "shutting_down")
		return http.StatusServiceUnavailable
	case n > r.opts.QueueSize:
		r.reject(n, "too_large")
		return http.StatusRequestEntityTooLarge
	case r.queued+n > r.opts.QueueSize:
		r.reject(n, "queue_full")
		return http.StatusTooManyRequests
	}
	r.queued += n
	// The channel holds QueueSize batches of at least one event each, and queued events
	// never exceed QueueSize: this send never blocks.
	r.queue <- batch
	r.received.Add(int64(n))
	r.mRecv.Add(float64(n))
	return http.StatusOK
}

func (r *Receiver) reject(n int, reason string) {
	r.rejected.Add(int64(n))
	r.mReject.WithLabelValues(reason).Add(float64(n))
}

// Start begins evaluating queued events on one goroutine (rules with rate state see events
// in arrival order).
func (r *Receiver) Start() {
	go func() {
		defer close(r.done)
		for batch := range r.queue {
			for _, ev := range batch {
				r.engine.Eval(ev, r.emit)
				r.evaluated.Add(1)
				r.mEval.Inc()
			}
			r.mu.Lock()
			r.queued -= len(batch)
			r.mu.Unlock()
		}
	}()
}

func (r *Receiver) emit(a audit.Alert) {
	r.alerted.Add(1)
	r.mAlert.WithLabelValues(a.Rule, a.Severity.String()).Inc()
	for _, s := range r.sinks {
		if err := s.Send(a); err != nil {
			r.sinkErrors.Add(1)
			r.mSink.WithLabelValues(s.Name()).Inc()
			r.log.Error("alert not delivered", "sink", s.Name(), "rule", a.Rule, "auditID", a.AuditID, "err", err)
		}
	}
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

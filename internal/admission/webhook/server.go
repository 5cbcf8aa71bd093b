// Package webhook serves admission.Reviewer over HTTPS as a Kubernetes validating
// admission webhook: /validate for AdmissionReview admission.k8s.io/v1, /healthz,
// /readyz and /metrics. It owns everything about running safely under load and
// failure: TLS with the certificate and key reloaded from disk when they change, a
// request body limit, a per-request deadline, recovery of a panic into a well-formed
// AdmissionResponse, server timeouts and graceful shutdown. It decides nothing itself.
package webhook

import (
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
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/moat-dev/moat/internal/admission"
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
)

// Options configure a Server.
type Options struct {
	// CertFile and KeyFile are the PEM serving certificate and key, reloaded when
	// they change on disk.
	CertFile, KeyFile string
	MaxBodyBytes      int64
	Timeout           time.Duration
	Logger            *slog.Logger
	// Registry receives the metrics; a new registry when nil.
	Registry *prometheus.Registry
}

// Server is the webhook. Its zero value is not usable: build it with New.
type Server struct {
	opt      Options
	reviewer atomic.Pointer[admission.Reviewer]
	certs    *certReloader
	metrics  *metrics
	log      *slog.Logger
	// decide is the reviewer call; tests replace it to provoke panics and delays.
	decide func(r *admission.Reviewer, req *admissionv1.AdmissionRequest) admission.Decision
}

// New checks the certificate and key and builds a server with no reviewer yet: it is
// not ready until SetReviewer.
func New(opt Options) (*Server, error) {
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.Registry == nil {
		opt.Registry = prometheus.NewRegistry()
	}
	certs, err := newCertReloader(opt.CertFile, opt.KeyFile)
	if err != nil {
		return nil, err
	}
	s := &Server{opt: opt, certs: certs, metrics: newMetrics(opt.Registry), log: opt.Logger}
	s.decide = func(r *admission.Reviewer, req *admissionv1.AdmissionRequest) admission.Decision {
		return r.Decide(req)
	}
	certs.log = opt.Logger
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

// TLSConfig serves the current certificate from disk.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: s.certs.get, NextProtos: []string{"h2", "http/1.1"}}
}

// Serve serves TLS on ln until ctx is done, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish (up to ShutdownGrace) and returns.
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
				s.log.Error("panic in handler", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
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
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opt.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.metrics.errors.WithLabelValues("body_too_large").Inc()
			http.Error(w, fmt.Sprintf("request body larger than %d bytes", s.opt.MaxBodyBytes), http.StatusRequestEntityTooLarge)
			return
		}
		s.metrics.errors.WithLabelValues("read").Inc()
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	review, err := ParseReview(body)
	if err != nil {
		s.metrics.errors.WithLabelValues("decode").Inc()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := review.Request
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.Timeout)
	defer cancel()
	d := s.review(ctx, rev, req)
	s.observe(req, d, time.Since(start))
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: d.Response}
	out.Response.UID = req.UID
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(&out); err != nil {
		s.log.Warn("write response", "uid", req.UID, "err", err)
	}
}

// ParseReview reads an AdmissionReview admission.k8s.io/v1 with a request.
func ParseReview(body []byte) (*admissionv1.AdmissionReview, error) {
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil {
		return nil, fmt.Errorf("decode AdmissionReview: %w", err)
	}
	if review.APIVersion != "admission.k8s.io/v1" || review.Kind != "AdmissionReview" {
		return nil, fmt.Errorf("want an AdmissionReview of admission.k8s.io/v1, got kind %q of %q", review.Kind, review.APIVersion)
	}
	if review.Request == nil {
		return nil, errors.New("AdmissionReview has no request")
	}
	return &review, nil
}

// review runs the reviewer under the deadline, recovering a panic into an error
// response that still carries the request's UID. A review that outlives its deadline
// is answered with an error at once; its goroutine finishes on its own (rules are
// pure and bounded) and its result is dropped.
func (s *Server) review(ctx context.Context, rev *admission.Reviewer, req *admissionv1.AdmissionRequest) admission.Decision {
	done := make(chan admission.Decision, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				s.metrics.errors.WithLabelValues("panic").Inc()
				s.log.Error("panic in review", "uid", req.UID, "kind", req.Kind.Kind, "name", req.Name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				done <- admission.Decision{Response: admission.Errored(req.UID, http.StatusInternalServerError, fmt.Errorf("internal error reviewing %s %s/%s", req.Kind.Kind, req.Namespace, req.Name))}
			}
		}()
		done <- s.decide(rev, req)
	}()
	select {
	case d := <-done:
		return d
	case <-ctx.Done():
		s.metrics.errors.WithLabelValues("timeout").Inc()
		s.log.Warn("review deadline exceeded", "uid", req.UID, "kind", req.Kind.Kind, "name", req.Name)
		return admission.Decision{Response: admission.Errored(req.UID, http.StatusGatewayTimeout, fmt.Errorf("review of %s %s/%s exceeded %v", req.Kind.Kind, req.Namespace, req.Name, s.opt.Timeout))}
	}
}

func (s *Server) observe(req *admissionv1.AdmissionRequest, d admission.Decision, took time.Duration) {
	m := s.metrics
	m.requests.WithLabelValues(req.Kind.Kind, string(req.Operation)).Inc()
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
		m.findings.WithLabelValues(j.RuleID, j.Mode.String()).Inc()
	}
	if !s.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	s.log.Debug("reviewed", "uid", req.UID, "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name,
		"operation", req.Operation, "dryRun", req.DryRun != nil && *req.DryRun, "decision", decision, "findings", len(d.Findings), "took", took)
}

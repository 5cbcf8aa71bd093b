package receiver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/moat-dev/moat/internal/audit/detect"
	"github.com/moat-dev/moat/internal/servertls"
)

// MinTokenLength is the shortest bearer token accepted: 16 bytes of a random token in
// base64 or hex are more than a guess can find.
const MinTokenLength = 16

// ServerConfig says where and how `moat serve audit` listens and whom it believes.
type ServerConfig struct {
	Addr string
	// TLS: the serving certificate and key, the minimum version, and ClientCAFile, the
	// CA bundle client certificates are verified against. Required unless
	// InsecureLoopbackHTTP.
	TLS servertls.Options
	// ClientNames narrows client certificates to these Common Names or DNS names.
	ClientNames []string
	// TokenFile holds the bearer token the API server presents (its webhook kubeconfig's
	// user.token); surrounding whitespace is ignored.
	TokenFile string
	// InsecureLoopbackHTTP serves plain HTTP; only a loopback Addr is accepted.
	InsecureLoopbackHTTP bool
	// AllowUnauthenticated accepts events from anyone who reaches Addr; without it, a
	// server with neither ClientCAFile nor TokenFile does not start.
	AllowUnauthenticated bool
	// ShutdownTimeout bounds the wait for in-flight requests and the queue on shutdown.
	ShutdownTimeout time.Duration
	Log             *slog.Logger
}

// Server is a Receiver on a listener.
type Server struct {
	rcv     *Receiver
	ln      net.Listener
	http    *http.Server
	url     string
	timeout time.Duration
	log     *slog.Logger
}

// NewServer checks the configuration, reads the token and certificates, makes the
// receiver (opts.Auth is set from cfg) and listens. Nothing is served before Serve.
func NewServer(engine *detect.Engine, sinks []Sink, opts Options, cfg ServerConfig) (*Server, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	auth, tlsCfg, err := cfg.security(log)
	if err != nil {
		return nil, err
	}
	opts.Auth = auth
	if opts.Log == nil {
		opts.Log = log
	}
	if cfg.InsecureLoopbackHTTP {
		if err := loopbackOnly(cfg.Addr); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	scheme := "https"
	if cfg.InsecureLoopbackHTTP {
		// "localhost" may resolve to anything: check what was bound.
		if a, ok := ln.Addr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
			ln.Close()
			return nil, fmt.Errorf("--insecure-loopback-http: %s is not a loopback address", ln.Addr())
		}
		scheme = "http"
	} else {
		ln = tls.NewListener(ln, tlsCfg)
	}
	rcv := New(engine, sinks, opts)
	timeout := cfg.ShutdownTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	srv := &http.Server{Handler: rcv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	switch {
	case auth.Unauthenticated:
		log.Warn("accepting audit events from anyone who reaches the port (--allow-unauthenticated)")
	case cfg.InsecureLoopbackHTTP:
		log.Warn("serving plain HTTP on loopback (--insecure-loopback-http): for tests only")
	}
	return &Server{rcv: rcv, ln: ln, http: srv, url: scheme + "://" + ln.Addr().String() + Path, timeout: timeout, log: log}, nil
}

// security reads what authenticates clients and builds the TLS configuration (nil for
// plain HTTP).
func (cfg ServerConfig) security(log *slog.Logger) (Auth, *tls.Config, error) {
	var auth Auth
	if (cfg.TLS.CertFile == "") != (cfg.TLS.KeyFile == "") {
		return auth, nil, errors.New("--tls-cert and --tls-key go together")
	}
	hasCert := cfg.TLS.CertFile != ""
	switch {
	case cfg.InsecureLoopbackHTTP && (hasCert || cfg.TLS.ClientCAFile != ""):
		return auth, nil, errors.New("--insecure-loopback-http serves plain HTTP: it takes neither --tls-cert/--tls-key nor --client-ca")
	case !cfg.InsecureLoopbackHTTP && !hasCert:
		return auth, nil, errors.New("--tls-cert and --tls-key are required: the audit receiver serves HTTPS only (--insecure-loopback-http serves plain HTTP on loopback, for tests)")
	case len(cfg.ClientNames) > 0 && cfg.TLS.ClientCAFile == "":
		return auth, nil, errors.New("--client-name needs --client-ca")
	case cfg.AllowUnauthenticated && (cfg.TLS.ClientCAFile != "" || cfg.TokenFile != ""):
		return auth, nil, errors.New("--allow-unauthenticated contradicts --client-ca and --token-file: choose")
	case !cfg.AllowUnauthenticated && cfg.TLS.ClientCAFile == "" && cfg.TokenFile == "":
		return auth, nil, errors.New("the audit receiver needs client authentication: --client-ca (the API server's client certificate) " +
			"and/or --token-file (its bearer token); --allow-unauthenticated accepts forged events from anyone who reaches the port")
	}
	auth.Unauthenticated = cfg.AllowUnauthenticated
	if cfg.TokenFile != "" {
		b, err := os.ReadFile(cfg.TokenFile)
		if err != nil {
			return auth, nil, fmt.Errorf("--token-file: %w", err)
		}
		auth.Token = strings.TrimSpace(string(b))
		if len(auth.Token) < MinTokenLength {
			return auth, nil, fmt.Errorf("--token-file %s: a token of %d bytes is too short (at least %d; e.g. `head -c 32 /dev/urandom | base64`)", cfg.TokenFile, len(auth.Token), MinTokenLength)
		}
		if strings.ContainsAny(auth.Token, " \t\r\n") {
			return auth, nil, fmt.Errorf("--token-file %s: the token holds whitespace", cfg.TokenFile)
		}
	}
	if cfg.InsecureLoopbackHTTP {
		return auth, nil, nil
	}
	opt := cfg.TLS
	if opt.Logger == nil {
		opt.Logger = log
	}
	tlsCfg, err := servertls.Config(opt)
	if err != nil {
		return auth, nil, err
	}
	if cfg.TLS.ClientCAFile != "" {
		auth.ClientCert, auth.ClientNames = true, cfg.ClientNames
		optionalClientCert(tlsCfg)
	}
	return auth, tlsCfg, nil
}

// optionalClientCert lets a client connect without a certificate (a certificate it does
// present must still verify against the client CA): /healthz answers probes that carry
// none, /metrics scrapers, and a token-authenticated API server. The webhook path
// itself is refused (401) to a request with neither a verified certificate nor the
// token, before its body is read.
func optionalClientCert(cfg *tls.Config) {
	cfg.ClientAuth = tls.VerifyClientCertIfGiven
	if get := cfg.GetConfigForClient; get != nil {
		cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			c, err := get(h)
			if c != nil && c.ClientAuth != tls.VerifyClientCertIfGiven {
				c = c.Clone()
				c.ClientAuth = tls.VerifyClientCertIfGiven
			}
			return c, err
		}
	}
}

// loopbackOnly refuses an address whose host is not a loopback IP or "localhost" (an
// empty host listens on every interface).
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--insecure-loopback-http listens on loopback only (127.0.0.1, ::1, localhost), not %q", addr)
}

// Receiver is the server's receiver.
func (s *Server) Receiver() *Receiver { return s.rcv }

// URL is the webhook's URL: scheme, the address bound (with the port picked for :0) and
// Path.
func (s *Server) URL() string { return s.url }

// Serve starts evaluation and serves until ctx is done; then it refuses new batches,
// lets in-flight requests finish, drains the queue (both within ShutdownTimeout) and
// closes the sinks.
func (s *Server) Serve(ctx context.Context) error {
	s.rcv.Start()
	served := make(chan error, 1)
	go func() { served <- s.http.Serve(s.ln) }()
	select {
	case err := <-served:
		s.rcv.Close(context.Background())
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining the queue")
	sctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	errs := []error{s.http.Shutdown(sctx), s.rcv.Close(sctx)}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	st := s.rcv.Stats()
	s.log.Info("stopped", "received", st.Received, "evaluated", st.Evaluated, "alerted", st.Alerted,
		"rejected", st.Rejected, "dropped", st.Dropped, "refused", st.Refused, "sinkErrors", st.SinkErrors)
	return errors.Join(errs...)
}

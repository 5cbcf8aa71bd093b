// Package servertls builds the TLS configuration of every Moat server (the admission
// webhook, the audit receiver): the serving certificate and key reloaded from disk when
// they change, AEAD cipher suites only, TLS 1.2 or 1.3 as the minimum, and optional
// client-certificate verification against a CA bundle that is reloaded too. It owns
// nothing else: listeners, HTTP and authorization are the servers' own.
package servertls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// Options say what a server presents and what it asks of its clients.
type Options struct {
	CertFile, KeyFile string // PEM; reloaded when they change on disk
	// ClientCAFile, when set, is a PEM bundle: clients must present a certificate that
	// verifies against it (tls.RequireAndVerifyClientCert). Reloaded when it changes.
	ClientCAFile string
	MinVersion   uint16 // 0 means tls.VersionTLS12
	// Logger receives reload messages; slog.Default() when nil.
	Logger *slog.Logger
}

// CipherSuites are the TLS 1.2 suites offered: ECDHE key exchange with an AEAD cipher
// (AES-GCM, ChaCha20-Poly1305) only. No CBC mode, no SHA-1 MAC, no RSA key exchange.
// TLS 1.3 suites are not configurable in Go and are all AEAD.
var CipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// Config checks the files and returns a server configuration that serves the current
// certificate at each handshake. TLS 1.3 is negotiated whenever the client offers it;
// NextProtos offers h2 and http/1.1.
func Config(opt Options) (*tls.Config, error) {
	min := opt.MinVersion
	if min == 0 {
		min = tls.VersionTLS12
	}
	if min != tls.VersionTLS12 && min != tls.VersionTLS13 {
		return nil, fmt.Errorf("TLS minimum version %#04x: want TLS 1.2 or 1.3", min)
	}
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	certs, err := newCertReloader(opt.CertFile, opt.KeyFile, log)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion:     min,
		CipherSuites:   CipherSuites,
		GetCertificate: certs.get,
		// Set here, not left to http.Server: a Config returned by GetConfigForClient
		// is used as it is, and must offer HTTP/2 itself.
		NextProtos: []string{"h2", "http/1.1"},
	}
	if opt.ClientCAFile == "" {
		return cfg, nil
	}
	cas, err := newCAReloader(opt.ClientCAFile, cfg, log)
	if err != nil {
		return nil, err
	}
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = cas.current.ClientCAs
	cfg.GetConfigForClient = cas.get
	return cfg, nil
}

// ParseMinVersion reads a --tls-min-version flag value: "1.2" or "1.3".
func ParseMinVersion(s string) (uint16, error) {
	switch s {
	case "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("TLS minimum version %q: want 1.2 or 1.3", s)
}

// stamp tells whether a file changed: size and modification time, as when
// cert-manager or a Secret volume rotates it.
type stamp struct {
	size int64
	mod  int64
}

func stampOf(path string) (stamp, error) {
	st, err := os.Stat(path)
	if err != nil {
		return stamp{}, err
	}
	return stamp{st.Size(), st.ModTime().UnixNano()}, nil
}

// certReloader serves a certificate and key from disk and loads them again when either
// file changes. A pair that fails to load (a half-written rotation) is logged and the
// previous certificate kept.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu       sync.Mutex
	cert     *tls.Certificate
	certStat stamp
	keyStat  stamp
}

func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("a TLS certificate and key are required (--tls-cert, --tls-key)")
	}
	c := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certReloader) load() error {
	cs, err := stampOf(c.certFile)
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	ks, err := stampOf(c.keyFile)
	if err != nil {
		return fmt.Errorf("TLS key: %w", err)
	}
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate %s and key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert, c.certStat, c.keyStat = &pair, cs, ks
	return nil
}

// get is tls.Config.GetCertificate: it checks the files at each handshake (two stats,
// small beside a handshake) and reloads them when they changed.
func (c *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs, err1 := stampOf(c.certFile)
	ks, err2 := stampOf(c.keyFile)
	if err1 == nil && err2 == nil && (cs != c.certStat || ks != c.keyStat) {
		if err := c.load(); err != nil {
			// Logged once per change of the files, not at every handshake.
			c.certStat, c.keyStat = cs, ks
			c.log.Warn("keeping the previous TLS certificate", "err", err)
		} else {
			c.log.Info("reloaded TLS certificate", "cert", c.certFile, "key", c.keyFile)
		}
	}
	return c.cert, nil
}

// caReloader keeps a server configuration whose ClientCAs is the bundle on disk, built
// again when the file changes; a bundle that fails to load keeps the previous one.
type caReloader struct {
	file string
	base *tls.Config
	log  *slog.Logger

	mu      sync.Mutex
	stat    stamp
	current *tls.Config
}

func newCAReloader(file string, base *tls.Config, log *slog.Logger) (*caReloader, error) {
	c := &caReloader{file: file, base: base.Clone(), log: log}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *caReloader) load() error {
	st, err := stampOf(c.file)
	if err != nil {
		return fmt.Errorf("client CA: %w", err)
	}
	pem, err := os.ReadFile(c.file)
	if err != nil {
		return fmt.Errorf("client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("client CA %s: no PEM certificate in it", c.file)
	}
	cfg := c.base.Clone()
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = pool
	c.current, c.stat = cfg, st
	return nil
}

// get is tls.Config.GetConfigForClient.
func (c *caReloader) get(*tls.ClientHelloInfo) (*tls.Config, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, err := stampOf(c.file); err == nil && st != c.stat {
		if err := c.load(); err != nil {
			c.stat = st
			c.log.Warn("keeping the previous client CA bundle", "err", err)
		} else {
			c.log.Info("reloaded client CA bundle", "file", c.file)
		}
	}
	return c.current, nil
}

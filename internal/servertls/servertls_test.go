package servertls

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/servertls/tlstest"
)

// serve runs an HTTPS server on loopback with cfg that answers "ok"; it stops at the
// end of the test.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }),
		TLSConfig:         cfg,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // refused handshakes are the point
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("ServeTLS: %v", err)
		}
	})
	return "https://" + ln.Addr().String() + "/"
}

// get makes one request on a new connection with the client's TLS settings.
func get(url string, cfg *tls.Config) (*http.Response, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && string(body) != "ok" {
		err = errors.New("unexpected body " + string(body))
	}
	return resp, err
}

type server struct {
	ca  *tlstest.CA
	dir string
	opt Options
}

func newServer(t *testing.T, rsa bool) *server {
	ca := tlstest.NewCA(t, "serving CA")
	dir := t.TempDir()
	certFile, keyFile := ca.Issue(t, dir, tlstest.Cert{Serial: 100, RSA: rsa})
	return &server{ca: ca, dir: dir, opt: Options{CertFile: certFile, KeyFile: keyFile}}
}

func (s *server) start(t *testing.T) string {
	t.Helper()
	cfg, err := Config(s.opt)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, cfg)
}

func TestCipherSuites(t *testing.T) {
	// An RSA serving certificate, so that the ECDHE_RSA suites are the ones in play.
	s := newServer(t, true)
	url := s.start(t)
	cases := []struct {
		name  string
		suite uint16
		ok    bool
	}{
		{"CBC with SHA-1 (ECDHE-RSA-AES128-SHA)", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, false},
		{"CBC with SHA-1 (ECDHE-RSA-AES256-SHA)", tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, false},
		{"CBC with SHA-256", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, false},
		{"RSA key exchange", tls.TLS_RSA_WITH_AES_128_GCM_SHA256, false},
		{"ECDHE with AES-128-GCM", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, true},
		{"ECDHE with AES-256-GCM", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, true},
		{"ECDHE with ChaCha20-Poly1305", tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := get(url, &tls.Config{RootCAs: s.ca.Pool, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{c.suite}})
			if c.ok && err != nil {
				t.Fatalf("TLS 1.2 client with %s refused: %v", tls.CipherSuiteName(c.suite), err)
			}
			if !c.ok && err == nil {
				t.Fatalf("TLS 1.2 client with %s served", tls.CipherSuiteName(c.suite))
			}
			if c.ok && (resp.TLS.Version != tls.VersionTLS12 || resp.TLS.CipherSuite != c.suite) {
				t.Errorf("negotiated %s with %s", tls.VersionName(resp.TLS.Version), tls.CipherSuiteName(resp.TLS.CipherSuite))
			}
		})
	}
	// A client that offers TLS 1.3 gets it.
	resp, err := get(url, &tls.Config{RootCAs: s.ca.Pool})
	if err != nil {
		t.Fatal(err)
	}
	if resp.TLS.Version != tls.VersionTLS13 {
		t.Errorf("default client negotiated %s, want TLS 1.3", tls.VersionName(resp.TLS.Version))
	}
}

func TestMinVersion13(t *testing.T) {
	s := newServer(t, false)
	s.opt.MinVersion = tls.VersionTLS13
	url := s.start(t)
	if _, err := get(url, &tls.Config{RootCAs: s.ca.Pool, MaxVersion: tls.VersionTLS12}); err == nil {
		t.Error("a TLS 1.2-only client was served with minimum 1.3")
	}
	if _, err := get(url, &tls.Config{RootCAs: s.ca.Pool}); err != nil {
		t.Errorf("a TLS 1.3 client refused: %v", err)
	}
}

func TestClientCertificates(t *testing.T) {
	s := newServer(t, false)
	clientCA := tlstest.NewCA(t, "API server client CA")
	s.opt.ClientCAFile = filepath.Join(s.dir, "client-ca.crt")
	tlstest.WriteAtomic(t, s.opt.ClientCAFile, clientCA.PEM)
	url := s.start(t)
	otherCA := tlstest.NewCA(t, "another CA")
	// Both TLS versions: with 1.3 the client learns of the refusal only when it reads.
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			client := func(certs ...tls.Certificate) *tls.Config {
				return &tls.Config{RootCAs: s.ca.Pool, MinVersion: v, MaxVersion: v, Certificates: certs}
			}
			if _, err := get(url, client()); err == nil {
				t.Error("a client without a certificate was served")
			}
			if _, err := get(url, client(clientCA.Pair(t, tlstest.Cert{Serial: 7, Client: true}))); err != nil {
				t.Errorf("a client with a certificate of the client CA was refused: %v", err)
			}
			if _, err := get(url, client(otherCA.Pair(t, tlstest.Cert{Serial: 7, Client: true}))); err == nil {
				t.Error("a client with a certificate of another CA was served")
			}
			// A serving certificate of the right CA is not a client certificate.
			if _, err := get(url, client(clientCA.Pair(t, tlstest.Cert{Serial: 8}))); err == nil {
				t.Error("a client presenting a serving certificate was served")
			}
		})
	}
	// The bundle is reloaded when it changes: the other CA is trusted from then on.
	time.Sleep(10 * time.Millisecond) // a distinct modification time on coarse clocks
	tlstest.WriteAtomic(t, s.opt.ClientCAFile, append(append([]byte{}, clientCA.PEM...), otherCA.PEM...))
	if _, err := get(url, &tls.Config{RootCAs: s.ca.Pool, Certificates: []tls.Certificate{otherCA.Pair(t, tlstest.Cert{Serial: 9, Client: true})}}); err != nil {
		t.Errorf("after adding the other CA to the bundle, its client was refused: %v", err)
	}
	// A broken bundle keeps the last good one.
	time.Sleep(10 * time.Millisecond)
	tlstest.WriteAtomic(t, s.opt.ClientCAFile, []byte("not PEM"))
	if _, err := get(url, &tls.Config{RootCAs: s.ca.Pool, Certificates: []tls.Certificate{clientCA.Pair(t, tlstest.Cert{Serial: 10, Client: true})}}); err != nil {
		t.Errorf("after a broken bundle, a good client was refused: %v", err)
	}
}

func TestCertificateReload(t *testing.T) {
	s := newServer(t, false)
	cfg, err := Config(s.opt)
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, cfg)
	serial := func() int64 {
		resp, err := get(url, &tls.Config{RootCAs: s.ca.Pool})
		if err != nil {
			t.Fatal(err)
		}
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	if got := serial(); got != 100 {
		t.Fatalf("serial %d, want 100", got)
	}
	time.Sleep(10 * time.Millisecond)
	s.ca.Issue(t, s.dir, tlstest.Cert{Serial: 101})
	if got := serial(); got != 101 {
		t.Errorf("after rotation, serial %d, want 101", got)
	}
	tlstest.WriteAtomic(t, s.opt.CertFile, []byte("not a certificate"))
	if got := serial(); got != 101 {
		t.Errorf("after a broken rotation, serial %d, want 101", got)
	}
}

func TestConfigErrors(t *testing.T) {
	s := newServer(t, false)
	missing := filepath.Join(s.dir, "missing.crt")
	notPEM := filepath.Join(s.dir, "junk.crt")
	if err := os.WriteFile(notPEM, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		opt  Options
		want string
	}{
		{"no certificate", Options{}, "certificate and key are required"},
		{"missing key", Options{CertFile: s.opt.CertFile, KeyFile: missing}, "TLS key"},
		{"client CA missing", Options{CertFile: s.opt.CertFile, KeyFile: s.opt.KeyFile, ClientCAFile: missing}, "client CA"},
		{"client CA without certificates", Options{CertFile: s.opt.CertFile, KeyFile: s.opt.KeyFile, ClientCAFile: notPEM}, "no PEM certificate"},
		{"TLS 1.1 minimum", Options{CertFile: s.opt.CertFile, KeyFile: s.opt.KeyFile, MinVersion: tls.VersionTLS11}, "want TLS 1.2 or 1.3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Config(c.opt)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

func TestParseMinVersion(t *testing.T) {
	for in, want := range map[string]uint16{"1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13} {
		if got, err := ParseMinVersion(in); err != nil || got != want {
			t.Errorf("ParseMinVersion(%q) = %x, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "1.1", "1.0", "TLS1.3", "1.4", " 1.2"} {
		if _, err := ParseMinVersion(in); err == nil || !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseMinVersion(%q): error %v, want one naming the value", in, err)
		}
	}
}

// A client that reconnects resumes its TLS session (no new key exchange and
// certificate check; the API server reconnects to webhooks when connections close),
// with and without client certificates, in TLS 1.2 and 1.3. With client certificates
// a resumed session still needs a client certificate the current bundle trusts: Go
// checks the session's chains against the ClientCAs of the configuration that
// GetConfigForClient returns.
func TestSessionResumption(t *testing.T) {
	for _, mtls := range []bool{false, true} {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(fmt.Sprintf("client-ca=%v/%s", mtls, tls.VersionName(v)), func(t *testing.T) {
				s := newServer(t, false)
				var certs []tls.Certificate
				if mtls {
					clientCA := tlstest.NewCA(t, "API server client CA")
					s.opt.ClientCAFile = filepath.Join(s.dir, "client-ca.crt")
					tlstest.WriteAtomic(t, s.opt.ClientCAFile, clientCA.PEM)
					certs = []tls.Certificate{clientCA.Pair(t, tlstest.Cert{Serial: 7, Client: true})}
				}
				url := s.start(t)
				cfg := &tls.Config{RootCAs: s.ca.Pool, MinVersion: v, MaxVersion: v, Certificates: certs,
					ClientSessionCache: tls.NewLRUClientSessionCache(4)}
				first, err := get(url, cfg)
				if err != nil {
					t.Fatal(err)
				}
				second, err := get(url, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if first.TLS.DidResume || !second.TLS.DidResume {
					t.Errorf("first connection resumed %v, second %v; want false, true", first.TLS.DidResume, second.TLS.DidResume)
				}
				if !mtls {
					return
				}
				// The bundle no longer trusts the client's CA: its session is not resumed.
				time.Sleep(10 * time.Millisecond) // a distinct modification time on coarse clocks
				tlstest.WriteAtomic(t, s.opt.ClientCAFile, tlstest.NewCA(t, "another CA").PEM)
				if resp, err := get(url, cfg); err == nil {
					t.Errorf("after its CA left the bundle, the client was served (resumed %v)", resp.TLS.DidResume)
				}
			})
		}
	}
}

package receiver

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/servertls"
	"github.com/moat-dev/moat/internal/servertls/tlstest"
)

// pki is a serving certificate, a client CA with a client certificate of the API server
// ("kube-apiserver"), and a certificate from a CA the receiver does not trust.
type pki struct {
	ca                        *tlstest.CA
	certFile, keyFile, caFile string
	client, stranger          tls.Certificate
	tokenFile, shortTokenFile string
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "moat-audit-test-ca")
	certFile, keyFile := ca.Issue(t, dir, tlstest.Cert{Serial: 2})
	caFile := filepath.Join(dir, "client-ca.crt")
	tlstest.WriteAtomic(t, caFile, ca.PEM)
	other := tlstest.NewCA(t, "someone-else")
	p := pki{ca: ca, certFile: certFile, keyFile: keyFile, caFile: caFile,
		client: ca.Pair(t, tlstest.Cert{Serial: 3, Client: true}), stranger: other.Pair(t, tlstest.Cert{Serial: 4, Client: true}),
		tokenFile: filepath.Join(dir, "token"), shortTokenFile: filepath.Join(dir, "short-token")}
	os.WriteFile(p.tokenFile, []byte(testToken+"\n"), 0o600)
	os.WriteFile(p.shortTokenFile, []byte("secret\n"), 0o600)
	return p
}

// startServer starts a server on a free loopback port; it stops at the end of the test.
func startServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := NewServer(everyEvent(t), nil, Options{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	return s
}

func client(p pki, cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: p.ca.Pool}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

// send posts one event; it returns the status, or -1 and the error when the connection
// failed (a handshake refused).
func send(c *http.Client, url, authorization string) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(eventList("e")))
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := c.Do(req)
	if err != nil {
		return -1, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestServerRefusesToStartOpen: the old receiver served plain HTTP to anyone when no
// certificate was given. A server now needs TLS (or loopback-only plain HTTP, asked for)
// and a way to authenticate clients (or --allow-unauthenticated, asked for).
func TestServerRefusesToStartOpen(t *testing.T) {
	p := newPKI(t)
	tlsOpt := servertls.Options{CertFile: p.certFile, KeyFile: p.keyFile}
	for _, tc := range []struct {
		name string
		cfg  ServerConfig
		want string
	}{
		{"no TLS", ServerConfig{TokenFile: p.tokenFile}, "--tls-cert and --tls-key are required"},
		{"a certificate without key", ServerConfig{TLS: servertls.Options{CertFile: p.certFile}, TokenFile: p.tokenFile}, "go together"},
		{"TLS without authentication", ServerConfig{TLS: tlsOpt}, "needs client authentication"},
		{"plain HTTP without authentication", ServerConfig{InsecureLoopbackHTTP: true}, "needs client authentication"},
		{"plain HTTP on every interface", ServerConfig{Addr: ":0", InsecureLoopbackHTTP: true, TokenFile: p.tokenFile}, "loopback only"},
		{"plain HTTP on 0.0.0.0", ServerConfig{Addr: "0.0.0.0:0", InsecureLoopbackHTTP: true, TokenFile: p.tokenFile}, "loopback only"},
		{"plain HTTP on a host name", ServerConfig{Addr: "example.com:0", InsecureLoopbackHTTP: true, TokenFile: p.tokenFile}, "loopback only"},
		{"plain HTTP with a client CA", ServerConfig{InsecureLoopbackHTTP: true, TLS: servertls.Options{ClientCAFile: p.caFile}}, "takes neither"},
		{"a short token", ServerConfig{TLS: tlsOpt, TokenFile: p.shortTokenFile}, "too short"},
		{"a missing token file", ServerConfig{TLS: tlsOpt, TokenFile: filepath.Join(t.TempDir(), "nope")}, "--token-file"},
		{"unauthenticated and a token", ServerConfig{TLS: tlsOpt, TokenFile: p.tokenFile, AllowUnauthenticated: true}, "contradicts"},
		{"client names without CA", ServerConfig{TLS: tlsOpt, TokenFile: p.tokenFile, ClientNames: []string{"x"}}, "needs --client-ca"},
	} {
		if tc.cfg.Addr == "" {
			tc.cfg.Addr = "127.0.0.1:0"
		}
		s, err := NewServer(everyEvent(t), nil, Options{}, tc.cfg)
		if err == nil {
			s.ln.Close()
			t.Errorf("%s: started", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// Asked for explicitly, an open server starts.
	s := startServer(t, ServerConfig{TLS: tlsOpt, AllowUnauthenticated: true})
	if code, err := send(client(p, nil), s.URL(), ""); code != http.StatusOK {
		t.Errorf("--allow-unauthenticated: %d %v", code, err)
	}
}

// TestServerMutualTLS: with --client-ca, the API server's client certificate is the
// credential; a request without one is 401 (health probes still connect), and a
// certificate from another CA fails the handshake.
func TestServerMutualTLS(t *testing.T) {
	p := newPKI(t)
	s := startServer(t, ServerConfig{TLS: servertls.Options{CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: p.caFile}})
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") || !strings.HasSuffix(s.URL(), Path) {
		t.Errorf("URL %s", s.URL())
	}
	if code, err := send(client(p, &p.client), s.URL(), ""); code != http.StatusOK {
		t.Errorf("the API server's certificate: %d %v", code, err)
	}
	if code, _ := send(client(p, nil), s.URL(), ""); code != http.StatusUnauthorized {
		t.Errorf("no certificate: %d, want 401", code)
	}
	if code, _ := send(client(p, nil), s.URL(), "Bearer "+testToken); code != http.StatusUnauthorized {
		t.Errorf("a token the server was not given: %d, want 401", code)
	}
	if code, _ := send(client(p, &p.stranger), s.URL(), ""); code != http.StatusUnauthorized {
		t.Errorf("a certificate of another CA, not sent: %d, want 401", code)
	}
	// (Go's client offers no certificate the server's CA list does not name: force it.)
	forced := client(p, nil)
	forced.Transport.(*http.Transport).TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return &p.stranger, nil
	}
	if code, err := send(forced, s.URL(), ""); code != -1 {
		t.Errorf("a certificate of another CA: status %d, want a refused handshake", code)
	} else {
		t.Logf("another CA: %v", err)
	}
	resp, err := client(p, nil).Get(strings.TrimSuffix(s.URL(), Path) + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz without a certificate: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// Plain HTTP to the TLS port is not served.
	if code, err := send(&http.Client{Timeout: 5 * time.Second}, strings.Replace(s.URL(), "https://", "http://", 1), ""); code == http.StatusOK {
		t.Errorf("plain HTTP: %d %v", code, err)
	}
	if st := s.Receiver().Stats(); st.Received != 1 || st.Refused != 3 {
		t.Errorf("stats %+v", st)
	}
}

// TestServerClientNames: a CA that also signs other clients is narrowed to the API
// server's name.
func TestServerClientNames(t *testing.T) {
	p := newPKI(t)
	tlsOpt := servertls.Options{CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: p.caFile}
	other := startServer(t, ServerConfig{TLS: tlsOpt, ClientNames: []string{"audit-sender"}})
	if code, _ := send(client(p, &p.client), other.URL(), ""); code != http.StatusUnauthorized {
		t.Errorf("certificate of kube-apiserver, names [audit-sender]: %d, want 401", code)
	}
	named := startServer(t, ServerConfig{TLS: tlsOpt, ClientNames: []string{"kube-apiserver"}})
	if code, err := send(client(p, &p.client), named.URL(), ""); code != http.StatusOK {
		t.Errorf("certificate of kube-apiserver, names [kube-apiserver]: %d %v", code, err)
	}
}

// TestServerToken: with --token-file, the bearer token is the credential, over TLS; with
// both, either is enough.
func TestServerToken(t *testing.T) {
	p := newPKI(t)
	s := startServer(t, ServerConfig{TLS: servertls.Options{CertFile: p.certFile, KeyFile: p.keyFile}, TokenFile: p.tokenFile})
	c := client(p, nil)
	if code, err := send(c, s.URL(), "Bearer "+testToken); code != http.StatusOK {
		t.Errorf("the token: %d %v", code, err)
	}
	for _, a := range []string{"", "Bearer wrong-token-0123456789", "Bearer " + testToken + "x"} {
		if code, _ := send(c, s.URL(), a); code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", a, code)
		}
	}
	both := startServer(t, ServerConfig{TLS: servertls.Options{CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: p.caFile}, TokenFile: p.tokenFile})
	if code, err := send(c, both.URL(), "Bearer "+testToken); code != http.StatusOK {
		t.Errorf("both, the token: %d %v", code, err)
	}
	if code, err := send(client(p, &p.client), both.URL(), ""); code != http.StatusOK {
		t.Errorf("both, the certificate: %d %v", code, err)
	}
	if code, _ := send(c, both.URL(), ""); code != http.StatusUnauthorized {
		t.Errorf("both, neither: %d, want 401", code)
	}
}

// TestServerInsecureLoopbackHTTP: plain HTTP for tests, on loopback, still authenticated.
func TestServerInsecureLoopbackHTTP(t *testing.T) {
	p := newPKI(t)
	s := startServer(t, ServerConfig{InsecureLoopbackHTTP: true, TokenFile: p.tokenFile})
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %s", s.URL())
	}
	c := &http.Client{Timeout: 5 * time.Second}
	if code, err := send(c, s.URL(), "Bearer "+testToken); code != http.StatusOK {
		t.Errorf("the token: %d %v", code, err)
	}
	if code, _ := send(c, s.URL(), ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", code)
	}
}

package webhook

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/servertls/tlstest"
)

// A client that keeps its connection alive makes one TLS handshake for many reviews,
// and a client that reconnects with a session cache resumes its TLS session instead
// of a full handshake: over HTTP/1.1 and HTTP/2, with and without client certificates.
func TestConnectionsAreKeptAndSessionsResumed(t *testing.T) {
	clientCA := tlstest.NewCA(t, "API server client CA")
	caFile := filepath.Join(t.TempDir(), "client-ca.crt")
	tlstest.WriteAtomic(t, caFile, clientCA.PEM)
	for _, c := range []struct {
		name  string
		opt   Options
		h2    bool
		certs bool
	}{
		{"HTTP/1.1", Options{}, false, false},
		{"HTTP/2", Options{}, true, false},
		{"HTTP/2 with a client certificate", Options{ClientCAFile: caFile}, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := start(t, c.opt, true)
			cfg := &tls.Config{RootCAs: r.ca.Pool, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
			if c.certs {
				cfg.Certificates = []tls.Certificate{clientCA.Pair(t, tlstest.Cert{Serial: 2, Client: true})}
			}
			client := func() *http.Client {
				tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: c.h2}
				if !c.h2 {
					tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
				}
				return &http.Client{Timeout: 10 * time.Second, Transport: tr}
			}
			post := func(cl *http.Client) *http.Response {
				resp, err := cl.Post(r.url+"/validate", "application/json", bytes.NewReader(reviewBody("u-keep", privilegedPod)))
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || (resp.ProtoMajor == 2) != c.h2 {
					t.Fatalf("HTTP %d over %s", resp.StatusCode, resp.Proto)
				}
				return resp
			}
			first := client()
			for range 5 {
				if resp := post(first); resp.TLS.DidResume {
					t.Error("the first connection resumed a session")
				}
			}
			if n := r.connections(t); n != 1 {
				t.Errorf("%d connections for 5 reviews on a kept-alive connection, want 1", n)
			}
			first.CloseIdleConnections()
			if resp := post(client()); !resp.TLS.DidResume {
				t.Error("a new connection with a session cache did not resume its TLS session")
			}
			if n := r.connections(t); n != 2 {
				t.Errorf("%d connections, want 2", n)
			}
		})
	}
}

// connections is moat_admission_connections_total, read without opening a connection
// of its own.
func (r *running) connections(t *testing.T) int {
	t.Helper()
	families, err := r.srv.opt.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "moat_admission_connections_total" {
			return int(f.GetMetric()[0].GetCounter().GetValue())
		}
	}
	t.Fatal("no moat_admission_connections_total")
	return 0
}

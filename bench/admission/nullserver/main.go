// Command nullserver is the floor of the admission load test: a TLS server that reads
// each request's body and answers with the same fixed bytes, doing no review. hey.sh
// runs it in place of the webhook with NULL=1, so that the p99 it measures is what hey,
// the kernel's loopback, TLS and net/http cost on this machine with nothing else: the
// least any webhook could reach under the same load, to set Moat's p99 against.
//
//	nullserver -addr 127.0.0.1:8443 -cert tls.crt -key tls.key -answer answer.json
//
// It serves /validate (the answer), /readyz, and an empty /metrics for hey.sh's counters.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8443", "loopback address to serve on")
	cert := flag.String("cert", "", "serving certificate (PEM)")
	key := flag.String("key", "", "its key (PEM)")
	answerFile := flag.String("answer", "", "the bytes every /validate answers with (the webhook's answer to the same review)")
	flag.Parse()
	if err := serve(*addr, *cert, *key, *answerFile); err != nil {
		fmt.Fprintln(os.Stderr, "nullserver:", err)
		os.Exit(1)
	}
}

func serve(addr, certFile, keyFile, answerFile string) error {
	answer, err := os.ReadFile(answerFile)
	if err != nil {
		return err
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	length := strconv.Itoa(len(answer))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /validate", func(w http.ResponseWriter, r *http.Request) {
		// Read the whole body, as the webhook does before it decodes.
		if _, err := io.Copy(io.Discard, io.LimitReader(r.Body, 3<<20)); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{length}
		_, _ = w.Write(answer)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("GET /metrics", func(http.ResponseWriter, *http.Request) {})
	srv := &http.Server{
		Addr:              addr,
		Handler:           mux,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 5 * time.Second,
	}
	return srv.ListenAndServeTLS("", "")
}

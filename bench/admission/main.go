// Command admission load-tests `moat serve admission`: it starts the webhook as its own
// process on loopback with a fresh certificate, posts realistic pod AdmissionReviews at
// a fixed rate (open loop: latency is measured from each request's scheduled time, so
// a stall is not hidden by fewer requests being sent), and reports errors, latency
// percentiles, and the webhook process's peak RSS and CPU time.
//
//	go run ./bench/admission -rate 1000 -duration 60s
//
// With -write DIR it only writes a CA, a serving certificate for 127.0.0.1 and one
// AdmissionReview for an external load generator: see hey.sh.
//
// Targets (issue 6): zero errors, p50 ≤ 1 ms, p99 ≤ 5 ms, peak RSS ≤ 150 MB.
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	rate := flag.Int("rate", 1000, "requests per second")
	duration := flag.Duration("duration", 60*time.Second, "how long to send")
	workers := flag.Int("workers", 128, "concurrent senders (the most requests in flight)")
	moatBin := flag.String("moat", "", "moat binary (default: go build ./cmd/moat)")
	flag.BoolVar(&http1, "http1", false, "use HTTP/1.1 connections instead of HTTP/2 (the API server's webhook client speaks HTTP/2)")
	write := flag.String("write", "", "write ca.crt, tls.crt, tls.key (for 127.0.0.1) and review-privileged.json (a defaulted privileged pod, denied) into this directory and exit; for hey.sh")
	flag.Parse()
	if *write != "" {
		if err := writeFiles(*write); err != nil {
			fmt.Fprintln(os.Stderr, "admission bench:", err)
			os.Exit(2)
		}
		return
	}
	if err := run(*rate, *duration, *workers, *moatBin); err != nil {
		fmt.Fprintln(os.Stderr, "admission bench:", err)
		os.Exit(2)
	}
}

var http1 bool

func run(rate int, duration time.Duration, workers int, moatBin string) error {
	dir, err := os.MkdirTemp("", "moat-admission-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if moatBin == "" {
		moatBin = filepath.Join(dir, "moat")
		build := exec.Command("go", "build", "-o", moatBin, "./cmd/moat")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/moat (run from the repository root): %w", err)
		}
	}
	pool, certFile, keyFile, err := certificates(dir)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := filepath.Join(dir, "moat.yaml")
	os.WriteFile(cfg, []byte("admission: {}\n"), 0o600)
	srv := exec.Command(moatBin, "serve", "admission", "--addr", addr, "--tls-cert", certFile, "--tls-key", keyFile, "--config", cfg, "--log-level", "warn")
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { srv.Process.Signal(os.Interrupt); srv.Wait() }()

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers, IdleConnTimeout: time.Minute}
	if http1 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	url := "https://" + addr
	if err := waitReady(client, url+"/readyz"); err != nil {
		return err
	}
	bodies := reviews(256)
	fmt.Printf("webhook pid %d at %s; %d distinct reviews of %d-%d bytes; %d req/s for %v, %d senders\n",
		srv.Process.Pid, addr, len(bodies), minLen(bodies), maxLen(bodies), rate, duration, workers)

	// Warm up: connections and the first evaluation of each review.
	for _, b := range bodies {
		if _, err := post(client, url+"/validate", b); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	cpu0 := cpuTime(srv.Process.Pid)

	total := int(duration.Seconds() * float64(rate))
	type job struct {
		at   time.Time
		body []byte
	}
	jobs := make(chan job, total)
	lat := make([]time.Duration, 0, total)
	svc := make([]time.Duration, 0, total) // from the moment the request is sent
	var mu sync.Mutex
	var errs []string
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				sent := time.Now()
				_, err := post(client, url+"/validate", j.body)
				d, s := time.Since(j.at), time.Since(sent)
				mu.Lock()
				lat = append(lat, d)
				svc = append(svc, s)
				if err != nil && len(errs) < 1000 {
					errs = append(errs, err.Error())
				}
				mu.Unlock()
			}
		})
	}
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		jobs <- job{at: at, body: bodies[i%len(bodies)]}
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime(srv.Process.Pid) - cpu0
	hwm := peakRSS(srv.Process.Pid)

	slices.Sort(lat)
	slices.Sort(svc)
	pctOf := func(l []time.Duration, p float64) time.Duration { return l[min(len(l)-1, int(float64(len(l))*p))] }
	pct := func(p float64) time.Duration { return pctOf(lat, p) }
	fmt.Printf("requests %d in %v (%.0f/s), errors %d\n", len(lat), elapsed.Round(time.Millisecond), float64(len(lat))/elapsed.Seconds(), len(errs))
	fmt.Printf("latency from scheduled time  p50 %v  p90 %v  p99 %v  p99.9 %v  max %v\n", pct(.50), pct(.90), pct(.99), pct(.999), lat[len(lat)-1])
	fmt.Printf("latency from send            p50 %v  p90 %v  p99 %v  p99.9 %v  max %v\n", pctOf(svc, .50), pctOf(svc, .90), pctOf(svc, .99), pctOf(svc, .999), svc[len(svc)-1])
	if p50, p99, err := serverQuantiles(client, url+"/metrics"); err == nil {
		fmt.Printf("webhook's own review time (moat_admission_review_duration_seconds, bucket bounds): p50 <= %v  p99 <= %v\n", p50, p99)
	}
	fmt.Printf("webhook peak RSS %.1f MB, CPU %v (%.0f%% of one core)\n", float64(hwm)/1e6, cpu.Round(time.Millisecond), 100*cpu.Seconds()/elapsed.Seconds())
	for i, e := range errs {
		if i == 5 {
			break
		}
		fmt.Println("error:", e)
	}
	ok := true
	check := func(name string, pass bool) {
		verdict := "PASS"
		if !pass {
			verdict, ok = "FAIL", false
		}
		fmt.Printf("%s  %s\n", verdict, name)
	}
	check("zero errors", len(errs) == 0)
	check("p50 <= 1ms", pct(.50) <= time.Millisecond)
	check("p99 <= 5ms", pct(.99) <= 5*time.Millisecond)
	check("peak RSS <= 150MB", hwm <= 150e6)
	if !ok {
		os.Exit(1)
	}
	return nil
}

func post(c *http.Client, url string, body []byte) (bool, error) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return false, err
	}
	if resp.StatusCode != 200 {
		return false, fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)
	}
	var out struct {
		Response *struct {
			UID     string `json:"uid"`
			Allowed bool   `json:"allowed"`
			Status  *struct {
				Code int `json:"code"`
			} `json:"status"`
		} `json:"response"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.Response == nil || out.Response.UID == "" {
		return false, fmt.Errorf("not an AdmissionReview response: %.200s", data)
	}
	if !out.Response.Allowed && out.Response.Status != nil && out.Response.Status.Code != 403 {
		return false, fmt.Errorf("review failed with code %d: %.300s", out.Response.Status.Code, data)
	}
	return out.Response.Allowed, nil
}

func waitReady(c *http.Client, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("webhook not ready at %s", url)
}

// peakRSS is VmHWM of a process (Linux), in bytes.
func peakRSS(pid int) int64 {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return -1
}

// cpuTime is user + system time of a process (Linux /proc/PID/stat, in clock ticks of 10 ms).
func cpuTime(pid int) time.Duration {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		f := strings.Fields(s[i+2:])
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			k, _ := strconv.ParseInt(f[12], 10, 64)
			return time.Duration(u+k) * 10 * time.Millisecond
		}
	}
	return 0
}

func minLen(bs [][]byte) int {
	m := len(bs[0])
	for _, b := range bs {
		m = min(m, len(b))
	}
	return m
}

func maxLen(bs [][]byte) int {
	m := 0
	for _, b := range bs {
		m = max(m, len(b))
	}
	return m
}

// writeFiles writes what an external load generator needs: the CA, the serving
// certificate and key, and one AdmissionReview of a privileged node agent pod (the
// review that the default rules deny with the most findings of the four families).
func writeFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if _, _, _, err := certificates(dir); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "review-privileged.json"), reviews(8)[7], 0o600)
}

// certificates makes a CA and a serving certificate for 127.0.0.1, and writes the
// CA's certificate as ca.crt beside them.
func certificates(dir string) (*x509.CertPool, string, string, error) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, "", "", err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "moat-admission"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, "", "", err
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	os.WriteFile(filepath.Join(dir, "ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, certFile, keyFile, nil
}

// serverQuantiles reads the webhook's latency histogram from /metrics and returns the
// upper bounds of the buckets that hold its p50 and p99.
func serverQuantiles(c *http.Client, url string) (p50, p99 time.Duration, err error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	type bucket struct {
		le    float64
		count float64
	}
	var bs []bucket
	for _, l := range strings.Split(string(data), "\n") {
		const prefix = `moat_admission_review_duration_seconds_bucket{le="`
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		rest := l[len(prefix):]
		i := strings.IndexByte(rest, '"')
		le, err1 := strconv.ParseFloat(rest[:i], 64)
		n, err2 := strconv.ParseFloat(strings.TrimSpace(rest[strings.LastIndexByte(rest, ' ')+1:]), 64)
		if err1 == nil && err2 == nil {
			bs = append(bs, bucket{le, n})
		}
	}
	if len(bs) == 0 {
		return 0, 0, fmt.Errorf("no histogram")
	}
	total := bs[len(bs)-1].count
	q := func(p float64) time.Duration {
		for _, b := range bs {
			if b.count >= p*total {
				return time.Duration(b.le * float64(time.Second))
			}
		}
		return -1
	}
	return q(.5), q(.99), nil
}

package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/audit/detect"
	"github.com/moat-dev/moat/internal/cputime"
)

// stream is a realistic mix: the routine events of the rules' benchmark (90%) and the
// rule fixtures (10%), as raw JSON.
func stream(b *testing.B) []json.RawMessage {
	b.Helper()
	var routine, fixtures []json.RawMessage
	raw, err := os.ReadFile("../detect/testdata/routine.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		routine = append(routine, json.RawMessage(line))
	}
	files, _ := filepath.Glob("../detect/testdata/events/*.json")
	for _, f := range files {
		var fx struct{ Alert, Quiet []json.RawMessage }
		b2, _ := os.ReadFile(f)
		if err := json.Unmarshal(b2, &fx); err != nil {
			b.Fatal(err)
		}
		fixtures = append(fixtures, fx.Alert...)
		fixtures = append(fixtures, fx.Quiet...)
	}
	var out []json.RawMessage
	for i := range 10 * len(fixtures) {
		if i%10 == 9 {
			out = append(out, fixtures[i/10])
		} else {
			out = append(out, routine[i%len(routine)])
		}
	}
	return out
}

// BenchmarkReceiverLoopback measures the receiver end to end: EventList batches of 400
// (the API server's default --audit-webhook-batch-max-size) posted over loopback HTTP by 4
// clients, decoded, queued and evaluated by the whole default pack, until the last event
// is evaluated. Refused batches (429) are retried, as the API server does.
func BenchmarkReceiverLoopback(b *testing.B) {
	set, err := detect.Default()
	if err != nil {
		b.Fatal(err)
	}
	evs := stream(b)
	const batchSize = 400
	var batches [][]byte
	for i := 0; i < len(evs); i += batchSize {
		end := min(i+batchSize, len(evs))
		body, _ := json.Marshal(map[string]any{"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": map[string]any{}, "items": evs[i:end]})
		batches = append(batches, body)
	}
	r := New(detect.NewEngine(set, 0), nil, Options{QueueSize: 20000, Auth: testAuth})
	r.Start()
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}

	b.ResetTimer()
	start, cpu0 := time.Now(), cputime.Process()
	var sent int64
	work := make(chan []byte)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range work {
				for {
					req, _ := http.NewRequest(http.MethodPost, srv.URL+Path, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+testToken)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						break
					}
					if resp.StatusCode != http.StatusTooManyRequests {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	want := 0
	for i := 0; i < b.N; i++ {
		body := batches[i%len(batches)]
		n := batchSize
		if i%len(batches) == len(batches)-1 {
			n = len(evs) - (len(batches)-1)*batchSize
		}
		want += n
		work <- body
	}
	close(work)
	wg.Wait()
	for r.Stats().Evaluated < int64(want) {
		time.Sleep(time.Millisecond)
	}
	elapsed, cpu := time.Since(start), cputime.Process()-cpu0
	b.StopTimer()
	mu.Lock()
	sent = int64(want)
	mu.Unlock()
	b.ReportMetric(float64(sent)/elapsed.Seconds(), "events/s")
	// per second of CPU time of the whole process (clients, HTTP, decoding, evaluation),
	// which the load of a shared machine does not skew as it does wall time
	if cpu > 0 {
		b.ReportMetric(float64(sent)/cpu.Seconds(), "events/cpu-s")
	}
	if err := r.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
}

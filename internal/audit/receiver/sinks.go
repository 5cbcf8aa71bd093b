package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/moat-dev/moat/internal/audit"
)

// WriterSink writes alerts as JSON lines (stdout, a file).
type WriterSink struct {
	name string
	mu   sync.Mutex
	w    io.Writer
	c    io.Closer
}

// NewWriterSink writes to w; closing the sink does not close w.
func NewWriterSink(name string, w io.Writer) *WriterSink { return &WriterSink{name: name, w: w} }

// NewFileSink appends to the file at path, creating it.
func NewFileSink(path string) (*WriterSink, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &WriterSink{name: "file", w: f, c: f}, nil
}

func (s *WriterSink) Name() string { return s.name }

func (s *WriterSink) Send(a audit.Alert) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err = s.w.Write(b) // one write per line: readers of a file never see half an alert
	return err
}

func (s *WriterSink) Close() error {
	if s.c != nil {
		return s.c.Close()
	}
	return nil
}

// WebhookSink posts each alert to a URL: the alert's JSON, or a Slack-compatible
// {"text": ...} message. Delivery runs on its own goroutine with a bounded buffer, so a
// slow endpoint never holds up evaluation; a full buffer or a failed delivery (after
// retries) is an error counted by the receiver.
type WebhookSink struct {
	url    string
	slack  bool
	client *http.Client
	ch     chan audit.Alert
	wg     sync.WaitGroup
	mu     sync.Mutex
	failed int
	lastEr error
}

// NewWebhookSink starts a webhook sink; format is "json" or "slack".
func NewWebhookSink(url, format string, client *http.Client) (*WebhookSink, error) {
	if format != "json" && format != "slack" {
		return nil, fmt.Errorf("webhook format %q: want json or slack", format)
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, fmt.Errorf("webhook URL %q: want http:// or https://", url)
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	s := &WebhookSink{url: url, slack: format == "slack", client: client, ch: make(chan audit.Alert, 1024)}
	s.wg.Add(1)
	go s.run()
	return s, nil
}

func (s *WebhookSink) Name() string { return "webhook" }

func (s *WebhookSink) Send(a audit.Alert) error {
	select {
	case s.ch <- a:
	default:
		return errors.New("webhook buffer full: alert not sent")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastEr != nil { // report delivery failures since the last call
		err := fmt.Errorf("%d alert(s) not delivered: %w", s.failed, s.lastEr)
		s.failed, s.lastEr = 0, nil
		return err
	}
	return nil
}

func (s *WebhookSink) run() {
	defer s.wg.Done()
	for a := range s.ch {
		body, err := s.body(a)
		if err == nil {
			err = s.post(body)
		}
		if err != nil {
			s.mu.Lock()
			s.failed++
			s.lastEr = err
			s.mu.Unlock()
		}
	}
}

func (s *WebhookSink) body(a audit.Alert) ([]byte, error) {
	if !s.slack {
		return json.Marshal(a)
	}
	return json.Marshal(map[string]string{"text": SlackText(a)})
}

// SlackText is the one-message summary of an alert.
func SlackText(a audit.Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*[%s] %s* %s\n%s", strings.ToUpper(a.Severity.String()), a.Rule, a.Title, a.Message)
	fmt.Fprintf(&b, "\nuser `%s`", a.User)
	if a.Impersonator != "" {
		fmt.Fprintf(&b, " (impersonated by `%s`)", a.Impersonator)
	}
	if len(a.SourceIPs) > 0 {
		fmt.Fprintf(&b, " from %s", strings.Join(a.SourceIPs, ", "))
	}
	if len(a.MITRE) > 0 {
		fmt.Fprintf(&b, " · MITRE %s", strings.Join(a.MITRE, ", "))
	}
	fmt.Fprintf(&b, " · audit ID %s · %s", a.AuditID, a.Time.UTC().Format(time.RFC3339))
	return b.String()
}

func (s *WebhookSink) post(body []byte) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 500 * time.Millisecond)
		}
		var resp *http.Response
		resp, err = s.client.Post(s.url, "application/json", bytes.NewReader(body))
		if err != nil {
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if resp.StatusCode < 300 {
			return nil
		}
		err = fmt.Errorf("%s answered %s", s.url, resp.Status)
		if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			return err // the request is wrong: retrying will not help
		}
	}
	return err
}

// Close delivers what is buffered (waiting at most 30 seconds) and stops.
func (s *WebhookSink) Close() error {
	close(s.ch)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case <-done:
	case <-ctx.Done():
		return errors.New("webhook sink: alerts still buffered after 30s")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastEr != nil {
		return fmt.Errorf("%d alert(s) not delivered: %w", s.failed, s.lastEr)
	}
	return nil
}

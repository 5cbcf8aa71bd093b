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
// slow endpoint never holds up evaluation. A full buffer is an error of Send; a delivery
// that fails (after retries) is reported, with its alert, to the function given to
// ReportFailures (the receiver counts and logs each), and counted in Close's error.
type WebhookSink struct {
	url    string
	slack  bool
	client *http.Client
	ch     chan audit.Alert
	wg     sync.WaitGroup
	mu     sync.Mutex
	report func(audit.Alert, error)
	failed int
	lastEr error
}

var _ FailureReporter = (*WebhookSink)(nil)

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

// ReportFailures sets the function called once for each alert not delivered.
func (s *WebhookSink) ReportFailures(f func(audit.Alert, error)) {
	s.mu.Lock()
	s.report = f
	s.mu.Unlock()
}

// Send queues the alert for delivery; it fails only when the buffer is full.
func (s *WebhookSink) Send(a audit.Alert) error {
	select {
	case s.ch <- a:
		return nil
	default:
		return errors.New("webhook buffer full: alert not sent")
	}
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
			report := s.report
			s.mu.Unlock()
			if report != nil {
				report(a, err)
			}
		}
	}
}

func (s *WebhookSink) body(a audit.Alert) ([]byte, error) {
	if !s.slack {
		return json.Marshal(a)
	}
	return json.Marshal(map[string]string{"text": SlackText(a)})
}

// SlackText is the one-message summary of an alert. Every value that comes from an
// event is escaped (slackEscape): a username such as `<!channel> <https://evil|Click>`
// must reach the channel as text, not as a mention and a link.
func SlackText(a audit.Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*[%s] %s* %s\n%s", strings.ToUpper(a.Severity.String()), slackEscape(a.Rule), slackEscape(a.Title), slackEscape(a.Message))
	fmt.Fprintf(&b, "\nuser %s", slackCode(a.User))
	if a.Impersonator != "" {
		fmt.Fprintf(&b, " (impersonated by %s)", slackCode(a.Impersonator))
	}
	if len(a.SourceIPs) > 0 {
		fmt.Fprintf(&b, " from %s", slackEscape(strings.Join(a.SourceIPs, ", ")))
	}
	if len(a.MITRE) > 0 {
		fmt.Fprintf(&b, " · MITRE %s", slackEscape(strings.Join(a.MITRE, ", ")))
	}
	fmt.Fprintf(&b, " · audit ID %s · %s", slackEscape(a.AuditID), a.Time.UTC().Format(time.RFC3339))
	return b.String()
}

// slackEscape makes a value plain text in a Slack message: the three characters Slack's
// markup gives a meaning (`<` opens a mention or a link, `>` closes it, `&` an entity)
// become entities, as Slack's "Escaping text" asks, and control characters (a newline
// would start a line that looks like another alert) are shown as escapes.
func slackEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == '\u2028', r == '\u2029':
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// slackCode is a value as inline code: escaped, with backticks (which would end the code
// span) replaced by a look-alike.
func slackCode(s string) string {
	return "`" + strings.ReplaceAll(slackEscape(s), "`", "ˋ") + "`"
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

// Close delivers what is buffered (waiting at most 30 seconds) and stops; its error
// counts the alerts that were not delivered.
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
		return fmt.Errorf("%d alert(s) not delivered, the last: %w", s.failed, s.lastEr)
	}
	return nil
}

// SinkConfig names the sinks of `moat serve audit`.
type SinkConfig struct {
	Stdout        io.Writer // nil: no stdout sink
	File          string    // append JSON lines to this file
	Webhook       string    // POST each alert to this URL
	WebhookFormat string    // json or slack
}

// OpenSinks opens the sinks a config names, in the order stdout, file, webhook; on
// error, the ones already open are closed.
func OpenSinks(c SinkConfig) ([]Sink, error) {
	var sinks []Sink
	if c.Stdout != nil {
		sinks = append(sinks, NewWriterSink("stdout", c.Stdout))
	}
	if c.File != "" {
		s, err := NewFileSink(c.File)
		if err != nil {
			return nil, err
		}
		sinks = append(sinks, s)
	}
	if c.Webhook != "" {
		format := c.WebhookFormat
		if format == "" {
			format = "json"
		}
		s, err := NewWebhookSink(c.Webhook, format, nil)
		if err != nil {
			for _, s := range sinks {
				s.Close()
			}
			return nil, err
		}
		sinks = append(sinks, s)
	}
	return sinks, nil
}

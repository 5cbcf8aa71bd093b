package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// errStalled marks a request that a registry left unanswered, or a body it stopped
// sending, for longer than the timeout.
var errStalled = errors.New("registry stalled")

// stallGuard bounds each request's wait for response headers, and then each wait for
// the next bytes of the body, by timeout. A stream that keeps moving is not cut off:
// a multi-gigabyte layer on a slow link is slow, not hung.
type stallGuard struct {
	inner   http.RoundTripper
	timeout time.Duration
}

func (t stallGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	host := req.URL.Host
	timer := time.AfterFunc(t.timeout, func() {
		cancel(fmt.Errorf("%w: no answer from %s within %s", errStalled, host, t.timeout))
	})
	resp, err := t.inner.RoundTrip(req.WithContext(ctx))
	if err != nil {
		timer.Stop()
		if cause := context.Cause(ctx); errors.Is(cause, errStalled) {
			err = cause
		}
		cancel(nil)
		return nil, err
	}
	timer.Reset(t.timeout)
	resp.Body = &stallBody{ReadCloser: resp.Body, ctx: ctx, cancel: cancel, timer: timer, timeout: t.timeout, host: host}
	return resp, nil
}

// stallBody pushes the stall deadline back each time bytes arrive.
type stallBody struct {
	io.ReadCloser
	ctx     context.Context
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	timeout time.Duration
	host    string
}

func (b *stallBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.timer.Reset(b.timeout)
	}
	if err != nil && err != io.EOF && errors.Is(context.Cause(b.ctx), errStalled) {
		err = fmt.Errorf("%w: %s sent nothing for %s", errStalled, b.host, b.timeout)
	}
	return n, err
}

func (b *stallBody) Close() error {
	b.timer.Stop()
	err := b.ReadCloser.Close()
	b.cancel(nil)
	return err
}

// retryBackoff keeps go-containerregistry's retries of flaky answers (5xx, 429) within
// the timeout: the library's default waits 1s then 3s whatever the timeout is.
func retryBackoff(timeout time.Duration) remote.Backoff {
	first := min(time.Second, timeout/20)
	return remote.Backoff{Duration: first, Factor: 3, Jitter: 0.1, Steps: 3}
}

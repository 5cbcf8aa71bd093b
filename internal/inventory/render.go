package inventory

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/chart/loader/archive"
)

// Rendering a chart runs code the chart's author wrote: Go templates with loops,
// recursion through include, and sprig functions. Helm's engine takes no limits and
// does not watch its context while executing a template, so a template cannot be
// stopped from the outside: `range until 20000000` exhausted memory and killed the
// scan ("fatal error: out of memory"), and a loop that prints nothing runs as long
// as it likes. Each chart is therefore rendered in a process of its own — the same
// executable, started again with a marker the package's init recognises (see
// renderChild) — that is killed at the time limit and whose memory the kernel
// bounds (RLIMIT_DATA on Linux; a sampler of the Go heap elsewhere). Its result
// crosses back as gob over a pipe, itself bounded. Starting the process costs about
// 50 ms per chart.

// DefaultRenderTimeout bounds the rendering of one chart when Options.RenderTimeout
// is 0. Large real charts render in about a second.
const DefaultRenderTimeout = 60 * time.Second

// renderMemory bounds the memory of the rendering process: its data segment on
// Linux, its Go heap elsewhere. The process starts at about 65 MiB.
var renderMemory int64 = 1 << 30

// maxRendered bounds the total size of a chart's rendered templates.
var maxRendered = 64 << 20

// chartLimits bound one chart's rendering.
type chartLimits struct {
	Timeout     time.Duration
	Memory      int64
	MaxRendered int
}

func renderLimits(timeout time.Duration) chartLimits {
	if timeout <= 0 {
		timeout = DefaultRenderTimeout
	}
	return chartLimits{Timeout: timeout, Memory: renderMemory, MaxRendered: maxRendered}
}

// chartRequest is one chart to render, as it crosses to the rendering process.
type chartRequest struct {
	Dir string
	// Values are the merged values of --helm-values and --set, read by the scan (a
	// values file may be a FIFO, `-f <(...)`, that can be read only once).
	Values         wireValue
	Namespace      string
	Capabilities   wireCapabilities
	AllowRemote    bool
	FollowSymlinks bool
	Limits         chartLimits
}

// The rendering process is this executable started with childArg as its only
// argument and childEnv set: both, so that neither a stray argument nor a stray
// variable turns a moat command into a renderer.
const (
	childArg = "__moat-render-chart"
	childEnv = "MOAT_RENDER_CHART"
)

func init() {
	if len(os.Args) == 2 && os.Args[1] == childArg && os.Getenv(childEnv) == "1" {
		os.Exit(renderChild(os.Stdin, os.Stdout))
	}
}

// Exit codes of the rendering process besides 0.
const (
	exitBadRequest = 3
	exitMemory     = 4
)

// renderChild renders the chart of the request read from in and writes the result
// to out. It bounds its own memory before it starts.
func renderChild(in io.Reader, out io.Writer) int {
	var req chartRequest
	if err := gob.NewDecoder(in).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "moat chart renderer:", err)
		return exitBadRequest
	}
	if req.Limits.Memory > 0 {
		limitMemory(req.Limits.Memory)
		debug.SetMemoryLimit(req.Limits.Memory * 3 / 4) // collect harder before the wall
		go watchMemory(req.Limits.Memory)
	}
	res := renderChart(context.Background(), req)
	w := bufio.NewWriter(out)
	if err := gob.NewEncoder(w).Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, "moat chart renderer:", err)
		return exitBadRequest
	}
	if err := w.Flush(); err != nil {
		return exitBadRequest
	}
	return 0
}

// watchMemory ends the process when the Go heap passes limit: where the kernel does
// not bound the process, this does, to within what is allocated between two samples.
func watchMemory(limit int64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	for {
		time.Sleep(20 * time.Millisecond)
		metrics.Read(s)
		var used uint64
		for _, x := range s {
			if x.Value.Kind() == metrics.KindUint64 {
				used += x.Value.Uint64()
			}
		}
		if int64(used) > limit {
			fmt.Fprintln(os.Stderr, "moat chart renderer: out of memory")
			os.Exit(exitMemory)
		}
	}
}

// renderChartBounded renders a chart in a process of its own, within the request's
// limits. Any way the process fails is an error of the chart, named by its
// Chart.yaml.
func renderChartBounded(req chartRequest) *chartResult {
	exe, err := os.Executable()
	if err != nil {
		return renderWithDeadline(req)
	}
	chartFile := path.Join(filepath.ToSlash(req.Dir), "Chart.yaml")
	res := &chartResult{ChartName: filepath.Base(req.Dir)}

	ctx, cancel := context.WithTimeout(context.Background(), req.Limits.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, childArg)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(gob.NewEncoder(pw).Encode(req)) }()
	cmd.Stdin = pr
	stdout := &capWriter{max: int64(req.Limits.MaxRendered) + archive.MaxDecompressedChartSize + 16<<20}
	stderr := &capWriter{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	runErr := cmd.Run()
	pr.Close()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return res.fail(chartFile, 0, "helm chart: rendering took longer than %s and was stopped", req.Limits.Timeout)
	case runErr != nil && outOfMemory(cmd, stderr.String()):
		return res.fail(chartFile, 0, "helm chart: rendering needed more than %d MiB of memory and was stopped", req.Limits.Memory>>20)
	case runErr != nil:
		return res.fail(chartFile, 0, "helm chart: the rendering process failed after %s: %v: %s", time.Since(start).Round(time.Millisecond), runErr, lastLine(stderr.String()))
	case stdout.over:
		return res.fail(chartFile, 0, "helm chart: renders more than %d MiB; not scanned", req.Limits.MaxRendered>>20)
	}
	var got chartResult
	if err := gob.NewDecoder(strings.NewReader(stdout.String())).Decode(&got); err != nil {
		return res.fail(chartFile, 0, "helm chart: reading the rendering process's result: %v", err)
	}
	return &got
}

// renderWithDeadline renders in this process, for when the executable cannot be
// started again. The deadline is kept, but a template that does not end keeps its
// goroutine, and its memory, until the process exits: memory is not bounded here.
func renderWithDeadline(req chartRequest) *chartResult {
	ctx, cancel := context.WithTimeout(context.Background(), req.Limits.Timeout)
	defer cancel()
	done := make(chan *chartResult, 1)
	go func() { done <- renderChart(ctx, req) }()
	select {
	case r := <-done:
		return r
	case <-ctx.Done():
		res := &chartResult{ChartName: filepath.Base(req.Dir)}
		return res.fail(path.Join(filepath.ToSlash(req.Dir), "Chart.yaml"), 0, "helm chart: rendering took longer than %s and was stopped", req.Limits.Timeout)
	}
}

// outOfMemory tells a rendering process that ran out of memory: the Go runtime
// reports a failed allocation (or a thread it could not start) and exits 2, or
// watchMemory exits with exitMemory.
func outOfMemory(cmd *exec.Cmd, stderr string) bool {
	if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == exitMemory {
		return true
	}
	return strings.Contains(stderr, "out of memory") || strings.Contains(stderr, "pthread_create failed") || strings.Contains(stderr, "cannot allocate memory")
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// capWriter keeps what is written up to max bytes and notes whether there was more.
type capWriter struct {
	b    strings.Builder
	max  int64
	over bool
}

func (w *capWriter) Write(p []byte) (int, error) {
	if left := w.max - int64(w.b.Len()); int64(len(p)) > left {
		w.over = true
		if left > 0 {
			w.b.Write(p[:left])
		}
		return len(p), nil
	}
	w.b.Write(p)
	return len(p), nil
}

func (w *capWriter) String() string { return w.b.String() }

// wireValue carries one value of a Helm values tree to the rendering process with
// its Go type, which JSON would lose: --set gives int64 and values files float64,
// and templates compare them by type.
type wireValue struct {
	T byte // 0 nil, 's' string, 'i' int64, 'f' float64, 'b' bool, 'm' map, 'l' list
	S string
	I int64
	F float64
	B bool
	M map[string]wireValue
	L []wireValue
}

func toWire(v any) wireValue {
	switch t := v.(type) {
	case nil:
		return wireValue{}
	case string:
		return wireValue{T: 's', S: t}
	case int64:
		return wireValue{T: 'i', I: t}
	case int:
		return wireValue{T: 'i', I: int64(t)}
	case float64:
		return wireValue{T: 'f', F: t}
	case bool:
		return wireValue{T: 'b', B: t}
	case map[string]any:
		m := make(map[string]wireValue, len(t))
		for k, x := range t {
			m[k] = toWire(x)
		}
		return wireValue{T: 'm', M: m}
	case []any:
		l := make([]wireValue, len(t))
		for i, x := range t {
			l[i] = toWire(x)
		}
		return wireValue{T: 'l', L: l}
	}
	return wireValue{T: 's', S: fmt.Sprint(v)}
}

func (w wireValue) value() any {
	switch w.T {
	case 's':
		return w.S
	case 'i':
		return w.I
	case 'f':
		return w.F
	case 'b':
		return w.B
	case 'm':
		m := make(map[string]any, len(w.M))
		for k, x := range w.M {
			m[k] = x.value()
		}
		return m
	case 'l':
		l := make([]any, len(w.L))
		for i, x := range w.L {
			l[i] = x.value()
		}
		return l
	}
	return nil
}

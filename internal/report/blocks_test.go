package report

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/finding"
)

// blockFormats are the findings formats that write in blocks, each rendering as par says.
var blockFormats = []struct {
	name   string
	render func(w io.Writer, r *Report, par parallel) error
}{
	{"json", func(w io.Writer, r *Report, par parallel) error {
		doc := JSONDocument{Version: JSONVersion, Summary: r.Summary, Findings: r.Findings, Errors: r.Errors, Warnings: r.Warnings, Skipped: r.Skipped}
		return writeJSONDocument(w, &doc, par)
	}},
	{"sarif", writeSARIF},
	{"junit", writeJUnit},
	{"policyreport", writePolicyReport},
	{"table", func(w io.Writer, r *Report, par parallel) error {
		return (&Table{Width: 90, Verbose: true, par: par}).Render(w, r)
	}},
	{"table color", func(w io.Writer, r *Report, par parallel) error {
		return (&Table{Color: true, par: par}).Render(w, r)
	}},
}

// manyFindingsReport is a random report of up to n findings of awkward text, which share
// rules, resources, namespaces and files the way a real scan's do, so that testcases,
// resource groups and namespace reports span blocks.
func manyFindingsReport(r *rand.Rand, n int) *Report {
	rep := withRules(r, streamReport(r))
	var pool []finding.Finding
	for range 1 + r.IntN(8) {
		pool = append(pool, streamFinding(r))
	}
	for range r.IntN(n + 1) {
		f := streamFinding(r)
		if r.IntN(4) > 0 { // most findings share a rule or a resource with an earlier one
			p := pool[r.IntN(len(pool))]
			switch r.IntN(3) {
			case 0:
				f.RuleID, f.Title, f.Remediation, f.Frameworks = p.RuleID, p.Title, p.Remediation, p.Frameworks
			case 1:
				f.Resource, f.Source = p.Resource, p.Source
			default:
				f.RuleID, f.Resource = p.RuleID, p.Resource
			}
		}
		rep.Findings = append(rep.Findings, f)
	}
	finding.Sort(rep.Findings)
	rep.Summary = finding.Summarize(r.IntN(500), rep.Findings, len(rep.Errors))
	return withRules(r, rep)
}

func renderBytes(t *testing.T, render func(io.Writer, *Report, parallel) error, rep *Report, par parallel) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := render(&b, rep, par); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Blocks of a few findings each, on four workers, give the bytes of one goroutine
// encoding them all: every cut between blocks (inside a testcase's suite, a namespace's
// report, a resource group) is made where the document does not notice it.
func TestParallelMatchesSequential(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for i := range 300 {
		rep := manyFindingsReport(r, 80)
		forced := parallel{workers: 2 + r.IntN(3), blockSize: 1 + r.IntN(6), threshold: 1}
		for _, f := range blockFormats {
			want := renderBytes(t, f.render, rep, parallel{workers: 1})
			if got := renderBytes(t, f.render, rep, forced); !bytes.Equal(got, want) {
				t.Fatalf("report %d, %s, %+v: parallel output differs from sequential:\n got %q\nwant %q", i, f.name, forced, got, want)
			}
		}
	}
}

// A report large enough for the renderers' own choice to use workers renders the same
// bytes under GOMAXPROCS 1 (one goroutine) and 4 (four workers).
func TestGOMAXPROCSDoesNotChangeOutput(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	rep := manyFindingsReport(r, 6*defaultThreshold)
	for len(rep.Findings) < 2*defaultThreshold {
		rep = manyFindingsReport(r, 6*defaultThreshold)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, f := range blockFormats {
		runtime.GOMAXPROCS(1)
		one := renderBytes(t, f.render, rep, parallel{})
		runtime.GOMAXPROCS(4)
		four := renderBytes(t, f.render, rep, parallel{})
		if !bytes.Equal(one, four) {
			t.Errorf("%s of %d findings: GOMAXPROCS 4 gives %d bytes, 1 gives %d, and they differ", f.name, len(rep.Findings), len(four), len(one))
		}
	}
}

// The renderers as the commands use them, through Findings, on the benchmark's dense
// report: the same bytes with and without workers.
func TestFindingsFormatsParallelDense(t *testing.T) {
	rep := benchReport(12000)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, name := range []string{"table", "json", "sarif", "junit", "policyreport"} {
		ren, err := Findings.New(name, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var one, four bytes.Buffer
		runtime.GOMAXPROCS(1)
		if err := ren.Render(&one, rep); err != nil {
			t.Fatal(err)
		}
		runtime.GOMAXPROCS(4)
		if err := ren.Render(&four, rep); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(one.Bytes(), four.Bytes()) {
			t.Errorf("%s: the dense report differs between GOMAXPROCS 1 and 4", name)
		}
	}
}

func TestBlockBounds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		weights []int
		size    int
		want    []int
	}{
		{"nothing", nil, 3, []int{0}},
		{"one unit", []int{1}, 3, []int{0, 1}},
		{"even", []int{1, 1, 1, 1, 1, 1, 1}, 3, []int{0, 3, 6, 7}},
		{"exactly full", []int{1, 1, 1, 1, 1, 1}, 3, []int{0, 3, 6}},
		{"a heavy unit is a block of its own", []int{1, 9, 1, 1}, 3, []int{0, 2, 4}},
		{"a heavy unit first", []int{9, 1, 1, 1}, 3, []int{0, 1, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := blockBounds(len(tc.weights), tc.size, func(i int) int { return tc.weights[i] })
			if !slices.Equal(got, tc.want) {
				t.Errorf("blockBounds(%v, %d) = %v, want %v", tc.weights, tc.size, got, tc.want)
			}
		})
	}
}

// countingEncoder encodes block k as "k," and counts the encoders made.
func countingEncoder(made *atomic.Int32) func() blockEncoder {
	return func() blockEncoder {
		made.Add(1)
		return func(b []byte, k int) []byte { return fmt.Appendf(b, "%d,", k) }
	}
}

// The blocks come out in order whichever way they are encoded, and a small document
// makes one encoder and no goroutines.
func TestWriteBlocksOrderAndThreshold(t *testing.T) {
	want := func(n int) string {
		var b []byte
		for k := range n {
			b = fmt.Appendf(b, "%d,", k)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name        string
		par         parallel
		n, findings int
		encoders    int32
	}{
		{"small report", parallel{workers: 4}, 3, defaultThreshold - 1, 1},
		{"one worker", parallel{workers: 1}, 500, 1e6, 1},
		{"one block", parallel{workers: 4, threshold: 1}, 1, 1e6, 1},
		{"large report", parallel{workers: 4}, 500, 1e6, 4},
		{"fewer blocks than workers", parallel{workers: 4, threshold: 1}, 3, 1e6, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var made atomic.Int32
			var out bytes.Buffer
			if err := tc.par.writeBlocks(&out, tc.n, tc.findings, countingEncoder(&made)); err != nil {
				t.Fatal(err)
			}
			if out.String() != want(tc.n) {
				t.Errorf("got %q, want %q", out.String(), want(tc.n))
			}
			if made.Load() != tc.encoders {
				t.Errorf("%d encoders made, want %d", made.Load(), tc.encoders)
			}
		})
	}
}

// goroutinesSettle fails the test if more goroutines run than before, once those that
// are ending have had a moment to.
func goroutinesSettle(t *testing.T, before int) {
	t.Helper()
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("%d goroutines left running, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
}

// A write error stops the workers and is returned, and no goroutine is left behind.
func TestWriteBlocksWriteError(t *testing.T) {
	before := runtime.NumGoroutine()
	par := parallel{workers: 4, blockSize: 64, threshold: 1}
	for n := range 5 {
		var made atomic.Int32
		err := par.writeBlocks(&failWriter{n: n}, 1000, 1e6, countingEncoder(&made))
		if err == nil || err.Error() != "disk full" {
			t.Fatalf("after %d writes: got %v, want the writer's error", n, err)
		}
	}
	rep := benchReport(5000)
	for _, f := range blockFormats {
		for n := range 3 {
			if err := f.render(&failWriter{n: n}, rep, par); err == nil {
				t.Fatalf("%s: write error after %d writes not returned", f.name, n)
			}
		}
	}
	goroutinesSettle(t, before)
}

// A panic in an encoder reaches the caller, with no goroutine left behind.
func TestWriteBlocksPanic(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, at := range []int{0, 1, 7, 99} {
		func() {
			defer func() {
				p, ok := recover().(*encoderPanic)
				if !ok || p.value != fmt.Sprint("bad block ", at) || !strings.Contains(p.Error(), "blocks_test.go") {
					t.Errorf("recovered %v, want the encoder's panic with its stack", p)
				}
			}()
			parallel{workers: 3, threshold: 1}.writeBlocks(io.Discard, 100, 1e6, func() blockEncoder {
				return func(b []byte, k int) []byte {
					if k == at {
						panic(fmt.Sprint("bad block ", at))
					}
					return append(b, 'x')
				}
			})
		}()
	}
	goroutinesSettle(t, before)
}

// slowWriter takes its time over each write and records how many blocks were in flight.
type slowWriter struct {
	mu       sync.Mutex
	inFlight *atomic.Int32
	max      int32
}

func (w *slowWriter) Write(p []byte) (int, error) {
	time.Sleep(200 * time.Microsecond)
	w.mu.Lock()
	w.max = max(w.max, w.inFlight.Load())
	w.mu.Unlock()
	w.inFlight.Add(-1) // this block is written
	return len(p), nil
}

// However slow the writer, no more than twice as many blocks as workers are encoded and
// waiting at once: memory stays bounded.
func TestWriteBlocksBoundsBlocksInFlight(t *testing.T) {
	var inFlight atomic.Int32
	w := &slowWriter{inFlight: &inFlight}
	par := parallel{workers: 3, threshold: 1}
	err := par.writeBlocks(w, 200, 1e6, func() blockEncoder {
		return func(b []byte, k int) []byte {
			inFlight.Add(1)
			return append(b, 'x')
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.max > 2*3 {
		t.Errorf("%d blocks in flight at once, want at most %d", w.max, 2*3)
	}
	if w.max < 2 {
		t.Errorf("at most %d block in flight: the workers did not run ahead of the writer", w.max)
	}
}

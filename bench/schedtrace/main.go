// Command schedtrace reads an execution trace (moat scan --trace FILE) and prints, for
// each slice of time, how many CPUs ran goroutines and which goroutines they were,
// named by the function each was started with. A CPU profile says where the CPU time
// went; this says when the CPUs stood idle, which no profile shows: it is how the
// decoder's workers were found waiting on their feeder a fifth of the time.
//
//	go run ./cmd/moat scan bench/out/dense-n10000-seed1.yaml -o json --trace /tmp/scan.trace >/dev/null
//	go run ./bench/schedtrace -slice 20ms /tmp/scan.trace
//
// Each line is the start of a slice, the CPUs busy on average in it (of GOMAXPROCS),
// the share of it spent stopped or assisting the collector, and the goroutines that
// took more than a twentieth of a CPU, by start function ("?" for those started before
// the trace began: the main goroutine and the collector's workers).
package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

func main() {
	slice := flag.Duration("slice", 20*time.Millisecond, "length of each line's slice of time")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: schedtrace [-slice 20ms] TRACE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *slice <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "schedtrace:", err)
		os.Exit(1)
	}
	defer f.Close()
	u, err := read(f, *slice)
	if err != nil {
		fmt.Fprintf(os.Stderr, "schedtrace: %s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
	u.print(os.Stdout)
}

// usage is the time spent running, per slice: by every goroutine, by the goroutines
// of each start function, and in the collector's stops and assists.
type usage struct {
	slice   time.Duration
	busy    []time.Duration
	gc      []time.Duration
	byStart map[string][]time.Duration
}

// add counts the time from a to b (since the trace's start) in the slices it spans.
func (u *usage) add(to *[]time.Duration, a, b time.Duration) {
	for a < b {
		i := int(a / u.slice)
		end := min(time.Duration(i+1)*u.slice, b)
		for len(*to) <= i {
			*to = append(*to, 0)
		}
		(*to)[i] += end - a
		a = end
	}
}

// read goes through the trace's events once.
func read(r io.Reader, slice time.Duration) (*usage, error) {
	tr, err := trace.NewReader(r)
	if err != nil {
		return nil, err
	}
	u := &usage{slice: slice, byStart: map[string][]time.Duration{}}
	var (
		start   trace.Time
		started bool
		running = map[trace.GoID]time.Duration{} // since when, for each running goroutine
		name    = map[trace.GoID]string{}
		gcSince = map[string]time.Duration{} // open collector ranges, by name
	)
	for {
		ev, err := tr.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if !started {
			start, started = ev.Time(), true
		}
		at := ev.Time().Sub(start)
		switch ev.Kind() {
		case trace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != trace.ResourceGoroutine {
				continue
			}
			id := st.Resource.Goroutine()
			from, to := st.Goroutine()
			if from == trace.GoNotExist {
				name[id] = startFunction(st.Stack)
			}
			if to == trace.GoRunning {
				running[id] = at
			} else if since, ok := running[id]; ok && from == trace.GoRunning {
				delete(running, id)
				u.add(&u.busy, since, at)
				n := cmp.Or(name[id], "?")
				d := u.byStart[n]
				u.add(&d, since, at)
				u.byStart[n] = d
			}
		case trace.EventRangeBegin:
			if r := ev.Range(); collectorPause(r.Name) {
				gcSince[r.Name] = at
			}
		case trace.EventRangeEnd:
			if r := ev.Range(); collectorPause(r.Name) {
				if since, ok := gcSince[r.Name]; ok {
					u.add(&u.gc, since, at)
					delete(gcSince, r.Name)
				}
			}
		}
	}
	return u, nil
}

// collectorPause names the ranges in which the collector holds up the program: a
// stop of the world, or a goroutine made to help mark.
func collectorPause(name string) bool {
	return strings.HasPrefix(name, "stop-the-world") || name == "GC mark assist"
}

// startFunction is the function a goroutine was started with: the last frame of its
// first stack.
func startFunction(s trace.Stack) string {
	var fn string
	for f := range s.Frames() {
		fn = f.Func
	}
	return fn
}

func (u *usage) print(w io.Writer) {
	fmt.Fprintf(w, "%9s %6s %6s  %s\n", "slice", "CPUs", "GC", "goroutines by start function (CPUs)")
	for i := range u.busy {
		type share struct {
			name string
			cpus float64
		}
		var shares []share
		for n, d := range u.byStart {
			if i < len(d) && d[i] > u.slice/20 {
				shares = append(shares, share{n, float64(d[i]) / float64(u.slice)})
			}
		}
		slices.SortFunc(shares, func(a, b share) int { return cmp.Compare(b.cpus, a.cpus) })
		var b strings.Builder
		for _, s := range shares {
			fmt.Fprintf(&b, " %s=%.2f", shortName(s.name), s.cpus)
		}
		gc := 0.0
		if i < len(u.gc) {
			gc = float64(u.gc[i]) / float64(u.slice)
		}
		fmt.Fprintf(w, "%9s %6.2f %6.2f %s\n", time.Duration(i)*u.slice, float64(u.busy[i])/float64(u.slice), gc, b.String())
	}
}

// shortName drops a function's package path: "inventory.decodeStream.func1".
func shortName(fn string) string {
	return fn[strings.LastIndexByte(fn, '/')+1:]
}

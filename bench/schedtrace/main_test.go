package main

import (
	"bytes"
	"runtime/trace"
	"strings"
	"sync"
	"testing"
	"time"
)

// spin keeps a CPU busy for d.
func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

// spinner spins for d and says it is done: a goroutine's start function.
func spinner(wg *sync.WaitGroup, d time.Duration) {
	defer wg.Done()
	spin(d)
}

// TestReadNamesTheBusyGoroutines traces this process while one goroutine spins for
// 60 ms, and checks that the time is found, in the slices it took, under the
// goroutine's start function.
func TestReadNamesTheBusyGoroutines(t *testing.T) {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go spinner(&wg, 60*time.Millisecond)
	wg.Wait()
	trace.Stop()

	u, err := read(&buf, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var spinner []time.Duration
	for name, d := range u.byStart {
		if strings.HasSuffix(name, "schedtrace.spinner") {
			spinner = d
		}
	}
	var total time.Duration
	for _, d := range spinner {
		total += d
	}
	// The spinner ran 60 ms, less what the machine took from it.
	if total < 30*time.Millisecond || total > 100*time.Millisecond {
		t.Errorf("the spinning goroutine ran %v in the trace, want about 60ms (by start function: %v)", total, names(u))
	}
	var busy time.Duration
	for _, d := range u.busy {
		busy += d
	}
	if busy < total {
		t.Errorf("all goroutines ran %v, less than the spinner's %v", busy, total)
	}
	var out strings.Builder
	u.print(&out)
	if !strings.Contains(out.String(), " schedtrace.spinner=") {
		t.Errorf("the table does not name the spinner:\n%s", out.String())
	}
}

func TestReadRejectsWhatIsNotATrace(t *testing.T) {
	if _, err := read(strings.NewReader("apiVersion: v1\nkind: Pod\n"), time.Millisecond); err == nil {
		t.Error("a YAML file read as a trace without an error")
	}
}

func names(u *usage) []string {
	var out []string
	for n := range u.byStart {
		out = append(out, n)
	}
	return out
}

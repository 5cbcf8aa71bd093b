//go:build unix

package htmlreport

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A FIFO where a manifest was must not hang the report: opening one blocks until it has
// a writer.
func TestReadLinesSkipsAFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo.yaml")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := readLines(p, []int{1}, SnippetLimits{}.withDefaults())
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("read a FIFO; want an error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("readLines blocked on a FIFO")
	}
}

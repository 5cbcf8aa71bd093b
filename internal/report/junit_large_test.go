package report

import (
	"bytes"
	"errors"
	"testing"
)

// A dense report's suites are far larger than the 32 KiB that renderJUnit writes out at
// a time; the grouping by resource rank and the flushing between testcases must still
// give encoding/xml's document.
func TestJUnitLargeMatchesEncoder(t *testing.T) {
	rep := benchReport(20000)
	var got, want bytes.Buffer
	if err := renderJUnit(&got, rep); err != nil {
		t.Fatal(err)
	}
	if err := renderJUnitLegacy(&want, rep); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("dense document differs from encoding/xml (%d vs %d bytes)", got.Len(), want.Len())
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n--; w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

// A write error in the middle of the document is returned.
func TestJUnitWriteError(t *testing.T) {
	rep := benchReport(20000)
	for n := range 3 {
		if err := renderJUnit(&failWriter{n: n}, rep); err == nil {
			t.Fatalf("write error after %d writes not returned", n)
		}
	}
}

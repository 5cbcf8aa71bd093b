//go:build unix

package main

import (
	"os"
	"testing"
	"time"
)

// TestMain lets the test binary be the measured child: with MEASURE_CHILD set it
// touches that many MiB of memory, burns a little CPU and exits 1.
func TestMain(m *testing.M) {
	if v := os.Getenv("MEASURE_CHILD_MIB"); v != "" {
		n := 0
		for _, c := range v {
			n = n*10 + int(c-'0')
		}
		buf := make([]byte, n<<20)
		for i := 0; i < len(buf); i += 4096 {
			buf[i] = 1
		}
		deadline := time.Now().Add(100 * time.Millisecond)
		for x := 0; time.Now().Before(deadline); x++ {
			buf[x%len(buf)]++
		}
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func TestRunReadsRusageOfTheChild(t *testing.T) {
	t.Setenv("MEASURE_CHILD_MIB", "96")
	s, _, err := run([]string{os.Args[0]})
	if err != nil {
		t.Fatal(err)
	}
	if s.exit != 1 {
		t.Errorf("exit %d, want 1", s.exit)
	}
	if s.maxRSS < 96<<20 {
		t.Errorf("maxRSS %.1f MiB, want at least the 96 MiB the child touched", mib(s.maxRSS))
	}
	if s.maxRSS > 1<<30 {
		t.Errorf("maxRSS %.1f MiB: units wrong?", mib(s.maxRSS))
	}
	if s.cpu < 50*time.Millisecond || s.wall < 100*time.Millisecond {
		t.Errorf("cpu %v wall %v, want at least the 100ms the child spun", s.cpu, s.wall)
	}
}

func TestRunReportsACommandThatCannotStart(t *testing.T) {
	if _, _, err := run([]string{"/nonexistent/measure-test"}); err == nil {
		t.Fatal("no error for a missing program")
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []int64
		want int64
	}{
		{"one value is its own median", []int64{7}, 7},
		{"odd count takes the middle after sorting", []int64{9, 1, 5}, 5},
		{"even count averages the two middle values", []int64{4, 1, 3, 2}, 2},
		{"outlier does not move it", []int64{10, 11, 12, 10, 1000}, 11},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := median(tc.in); got != tc.want {
				t.Errorf("median(%v) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestMediansTakesEachMeasureOnItsOwn(t *testing.T) {
	m := medians([]sample{
		{wall: 3 * time.Second, cpu: 1 * time.Second, maxRSS: 300},
		{wall: 1 * time.Second, cpu: 3 * time.Second, maxRSS: 100},
		{wall: 2 * time.Second, cpu: 2 * time.Second, maxRSS: 900},
	})
	if m.wall != 2*time.Second || m.cpu != 2*time.Second || m.maxRSS != 300 {
		t.Errorf("medians = %+v", m)
	}
}

func TestParseCodes(t *testing.T) {
	ok, err := parseCodes("0, 1,3")
	if err != nil {
		t.Fatal(err)
	}
	if !ok[0] || !ok[1] || !ok[3] || ok[2] {
		t.Errorf("parseCodes = %v", ok)
	}
	if _, err := parseCodes("0,x"); err == nil {
		t.Error("no error for a non-number")
	}
}

//go:build unix

// Command measure runs a command several times and reports the median wall time,
// CPU time (user+sys) and peak resident memory of its runs, read from the rusage
// the kernel returns for each child process.
//
//	measure -r 5 -label moat -- bench/out/moat scan /tmp/cluster.yaml
//
// The last line of output is machine-readable:
//
//	median label=moat runs=5 wall_s=0.412 cpu_s=0.731 maxrss_mib=182.4
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sample is one run of the command.
type sample struct {
	wall, cpu time.Duration
	// maxRSS is the peak resident set size in bytes.
	maxRSS int64
	exit   int
}

func main() {
	runs := flag.Int("r", 5, "measured runs")
	warmup := flag.Int("warmup", 1, "runs before measuring (not reported), to warm the page cache")
	label := flag.String("label", "", "name of the command in the report (default: its first word)")
	okExit := flag.String("ok-exit", "0,1", "comma-separated exit codes that count as a successful run (a scanner exits 1 on findings)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: measure [-r RUNS] [-warmup N] [-label NAME] [-ok-exit CODES] -- COMMAND [ARG...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 || *runs < 1 || *warmup < 0 {
		flag.Usage()
		os.Exit(2)
	}
	ok, err := parseCodes(*okExit)
	if err != nil {
		fmt.Fprintln(os.Stderr, "measure: -ok-exit:", err)
		os.Exit(2)
	}
	if *label == "" {
		*label = args[0]
	}
	var samples []sample
	for i := range *warmup + *runs {
		s, stderr, err := run(args)
		if err != nil {
			fmt.Fprintf(os.Stderr, "measure: %s: %v\n", *label, err)
			os.Exit(1)
		}
		if !ok[s.exit] {
			fmt.Fprintf(os.Stderr, "measure: %s exited %d\n%s", *label, s.exit, tail(stderr, 20))
			os.Exit(1)
		}
		if i < *warmup {
			continue
		}
		fmt.Printf("run %d label=%s wall_s=%.3f cpu_s=%.3f maxrss_mib=%.1f exit=%d\n", i-*warmup+1, *label, s.wall.Seconds(), s.cpu.Seconds(), mib(s.maxRSS), s.exit)
		samples = append(samples, s)
	}
	m := medians(samples)
	fmt.Printf("median label=%s runs=%d wall_s=%.3f cpu_s=%.3f maxrss_mib=%.1f\n", *label, len(samples), m.wall.Seconds(), m.cpu.Seconds(), mib(m.maxRSS))
}

// run starts the command once with its output discarded (standard error is kept for
// the report of a failed run) and waits for it.
func run(args []string) (sample, []byte, error) {
	cmd := exec.Command(args[0], args[1:]...)
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return sample{}, nil, err
	}
	ps := cmd.ProcessState
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return sample{}, nil, errors.New("no rusage on this platform")
	}
	return sample{
		wall:   wall,
		cpu:    ps.UserTime() + ps.SystemTime(),
		maxRSS: maxRSSBytes(ru),
		exit:   ps.ExitCode(),
	}, stderr.Bytes(), nil
}

// medians takes the median of each measure on its own.
func medians(ss []sample) sample {
	pick := func(f func(sample) int64) int64 {
		xs := make([]int64, len(ss))
		for i, s := range ss {
			xs[i] = f(s)
		}
		return median(xs)
	}
	return sample{
		wall:   time.Duration(pick(func(s sample) int64 { return int64(s.wall) })),
		cpu:    time.Duration(pick(func(s sample) int64 { return int64(s.cpu) })),
		maxRSS: pick(func(s sample) int64 { return s.maxRSS }),
	}
}

// median of an even count is the mean of the two middle values.
func median(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func parseCodes(s string) (map[int]bool, error) {
	ok := map[int]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, err
		}
		ok[n] = true
	}
	return ok, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func tail(b []byte, lines int) string {
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n") + "\n"
}

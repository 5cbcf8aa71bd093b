// Package golden is Moat's one mechanism for golden files: output a test produces,
// checked in (mostly under testdata/) and reviewed in the diff when it changes.
//
// A test calls Check with the file and what it produced. Normally Check compares the
// two and fails with a line diff; with MOAT_UPDATE_GOLDEN=1 in the environment it
// rewrites the file instead. `make golden` runs, that way, the tests of every package
// whose tests import this one; for one package:
//
//	MOAT_UPDATE_GOLDEN=1 go test -count=1 ./internal/rbac
//	git diff
//
// There is no -update flag: a flag exists only in the test binaries that define it, so
// `go test ./... -update` fails in every other package. An environment variable reaches
// all of them.
package golden

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Env is the environment variable that makes Check rewrite golden files.
const Env = "MOAT_UPDATE_GOLDEN"

// Updating reports whether this test run rewrites golden files (MOAT_UPDATE_GOLDEN=1).
func Updating() bool {
	on, _ := strconv.ParseBool(os.Getenv(Env))
	return on
}

// pkgDir is the directory of the package under test: `go test` starts the test binary
// there, and a test may change directory later (t.Chdir).
var pkgDir, _ = os.Getwd()

// Check compares got with the golden file at path (relative to the current directory).
// When Updating, it writes got to path instead, creating its directory, and passes.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if Updating() {
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, got) {
			return
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", display(path))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file %s: %v\nwrite it with: %s", display(path), err, Command(t))
		return
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the test's output (- golden, + got):\n%s\nif the change is intended, rewrite it with: %s\nand review the diff",
			display(path), Diff(want, got), Command(t))
	}
}

// Command is the command that rewrites the golden files of t's top-level test.
func Command(t testing.TB) string {
	pkg := "."
	if root := moduleRoot(pkgDir); root != "" {
		if rel, err := filepath.Rel(root, pkgDir); err == nil && rel != "." {
			pkg = "./" + filepath.ToSlash(rel)
		}
	}
	top, _, _ := strings.Cut(t.Name(), "/")
	return fmt.Sprintf("%s=1 go test %s -run '^%s$' (or make golden)", Env, pkg, top)
}

// display names path from the module root when it can, so the message is the same
// whichever directory the test runs in.
func display(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	root := moduleRoot(pkgDir)
	if root == "" {
		return path
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path
	}
	return filepath.ToSlash(rel)
}

// moduleRoot is the nearest directory at or above dir that holds a go.mod, or "".
func moduleRoot(dir string) string {
	for dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}

// Diff limits.
const (
	context  = 3       // unchanged lines shown around a change
	maxShown = 80      // diff lines shown before the rest is summarised
	maxCells = 4 << 20 // largest LCS table; beyond it the changed span is shown whole
)

type op struct {
	kind byte // ' ', '-' or '+'
	line string
}

// Diff is a line diff of want and got in the unified style: hunks headed by
// "@@ -LINE +LINE @@", "-" for lines only in want, "+" for lines only in got.
func Diff(want, got []byte) string {
	a, b := lines(want), lines(got)
	ops := edits(a, b)
	// keep marks the lines within context of a change.
	keep := make([]bool, len(ops))
	for i, o := range ops {
		if o.kind == ' ' {
			continue
		}
		for j := max(0, i-context); j <= min(len(ops)-1, i+context); j++ {
			keep[j] = true
		}
	}
	var out strings.Builder
	shown, hidden := 0, 0
	ai, bi := 1, 1
	for i, o := range ops {
		if keep[i] {
			if i == 0 || !keep[i-1] {
				if shown < maxShown {
					fmt.Fprintf(&out, "@@ -%d +%d @@\n", ai, bi)
				}
			}
			if shown < maxShown {
				out.WriteByte(o.kind)
				out.WriteString(show(o.line))
				shown++
			} else if o.kind != ' ' {
				hidden++
			}
		}
		if o.kind != '+' {
			ai++
		}
		if o.kind != '-' {
			bi++
		}
	}
	if hidden > 0 {
		fmt.Fprintf(&out, "... and %d more changed lines\n", hidden)
	}
	return out.String()
}

// show renders one line of a diff, marking a missing final newline.
func show(line string) string {
	if s, ok := strings.CutSuffix(line, "\n"); ok {
		return s + "\n"
	}
	return line + "\n\\ no newline at end of file\n"
}

// lines splits s after each newline; the last line may lack one.
func lines(s []byte) []string {
	if len(s) == 0 {
		return nil
	}
	ls := strings.SplitAfter(string(s), "\n")
	if ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	}
	return ls
}

// edits turns a into b: the common head and tail, and a longest common subsequence of
// the span between them (or, if that span is too large, all of it removed and added).
func edits(a, b []string) []op {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	var ops []op
	for _, l := range a[:head] {
		ops = append(ops, op{' ', l})
	}
	ma, mb := a[head:len(a)-tail], b[head:len(b)-tail]
	if (len(ma)+1)*(len(mb)+1) > maxCells {
		for _, l := range ma {
			ops = append(ops, op{'-', l})
		}
		for _, l := range mb {
			ops = append(ops, op{'+', l})
		}
	} else {
		ops = append(ops, lcs(ma, mb)...)
	}
	for _, l := range a[len(a)-tail:] {
		ops = append(ops, op{' ', l})
	}
	return ops
}

// lcs is the classic dynamic-programming diff of a and b.
func lcs(a, b []string) []op {
	w := len(b) + 1
	n := make([]int32, (len(a)+1)*w) // n[i*w+j]: LCS length of a[i:] and b[j:]
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				n[i*w+j] = n[(i+1)*w+j+1] + 1
			} else {
				n[i*w+j] = max(n[(i+1)*w+j], n[i*w+j+1])
			}
		}
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			ops = append(ops, op{' ', a[i]})
			i, j = i+1, j+1
		case n[(i+1)*w+j] >= n[i*w+j+1]:
			ops = append(ops, op{'-', a[i]})
			i++
		default:
			ops = append(ops, op{'+', b[j]})
			j++
		}
	}
	for ; i < len(a); i++ {
		ops = append(ops, op{'-', a[i]})
	}
	for ; j < len(b); j++ {
		ops = append(ops, op{'+', b[j]})
	}
	return ops
}

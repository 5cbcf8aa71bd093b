package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps failures instead of failing the test.
type recorder struct {
	testing.TB
	failed []string
}

func (r *recorder) Helper()             {}
func (r *recorder) Name() string        { return "TestThing/sub case" }
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }
func (r *recorder) Fatal(args ...any)                 { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) message() string                   { return strings.Join(r.failed, "\n") }

func TestCheckPassesOnEqualFile(t *testing.T) {
	t.Setenv(Env, "")
	path := filepath.Join(t.TempDir(), "same.golden")
	if err := os.WriteFile(path, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	Check(r, path, []byte("a\nb\n"))
	if len(r.failed) > 0 {
		t.Errorf("equal output failed: %s", r.message())
	}
}

func TestCheckNamesFileDiffAndCommand(t *testing.T) {
	t.Setenv(Env, "")
	src, err := os.ReadFile("golden.go")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	Check(r, "golden.go", []byte(strings.Replace(string(src), "package golden\n", "package silver\n", 1)))
	msg := r.message()
	for _, want := range []string{
		"internal/golden/golden.go differs from the test's output (- golden, + got):\n@@ -",
		"\n-package golden\n+package silver\n",
		"rewrite it with: MOAT_UPDATE_GOLDEN=1 go test ./internal/golden -run '^TestThing$' (or make golden)",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestCheckMissingFile(t *testing.T) {
	t.Setenv(Env, "")
	r := &recorder{TB: t}
	Check(r, filepath.Join(t.TempDir(), "none.golden"), []byte("x\n"))
	if msg := r.message(); !strings.Contains(msg, "none.golden") || !strings.Contains(msg, "write it with: MOAT_UPDATE_GOLDEN=1 go test") {
		t.Errorf("message: %s", msg)
	}
}

func TestCheckWritesWhenUpdating(t *testing.T) {
	t.Setenv(Env, "1")
	if !Updating() {
		t.Fatal("MOAT_UPDATE_GOLDEN=1 is not updating")
	}
	path := filepath.Join(t.TempDir(), "new", "dir", "out.golden")
	r := &recorder{TB: t}
	Check(r, path, []byte("fresh\n"))
	if len(r.failed) > 0 {
		t.Fatalf("updating failed: %s", r.message())
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "fresh\n" {
		t.Errorf("file holds %q, %v", b, err)
	}
}

func TestUpdatingValues(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "false": false, "1": true, "true": true, "junk": false} {
		t.Setenv(Env, v)
		if got := Updating(); got != want {
			t.Errorf("%s=%q: Updating() = %v, want %v", Env, v, got, want)
		}
	}
}

func TestDiff(t *testing.T) {
	long := func(n int, changed int) string {
		var b strings.Builder
		for i := range n {
			if i == changed {
				fmt.Fprintf(&b, "changed %d\n", i)
			} else {
				fmt.Fprintf(&b, "line %d\n", i)
			}
		}
		return b.String()
	}
	tests := []struct {
		name, want, got, diff string
	}{
		{"one line replaced in the middle", long(20, -1), long(20, 10),
			"@@ -8 +8 @@\n line 7\n line 8\n line 9\n-line 10\n+changed 10\n line 11\n line 12\n line 13\n"},
		{"two distant changes give two hunks", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n", "A\nb\nc\nd\ne\nf\ng\nh\ni\nJ\n",
			"@@ -1 +1 @@\n-a\n+A\n b\n c\n d\n@@ -7 +7 @@\n g\n h\n i\n-j\n+J\n"},
		{"a line added", "a\nc\n", "a\nb\nc\n", "@@ -1 +1 @@\n a\n+b\n c\n"},
		{"a missing final newline", "a\n", "a", "@@ -1 +1 @@\n-a\n+a\n\\ no newline at end of file\n"},
		{"from nothing", "", "x\n", "@@ -1 +1 @@\n+x\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Diff([]byte(tc.want), []byte(tc.got)); got != tc.diff {
				t.Errorf("Diff:\n%s\nwant:\n%s", got, tc.diff)
			}
		})
	}
}

func TestDiffIsBounded(t *testing.T) {
	var a, b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&a, "a %d\n", i)
		fmt.Fprintf(&b, "b %d\n", i)
	}
	d := Diff([]byte(a.String()), []byte(b.String()))
	if n := strings.Count(d, "\n"); n > maxShown+2 {
		t.Errorf("diff of two unrelated 1000-line files has %d lines", n)
	}
	if !strings.Contains(d, "... and 1920 more changed lines") {
		t.Errorf("diff does not summarise the rest:\n%s", d[len(d)-200:])
	}
}

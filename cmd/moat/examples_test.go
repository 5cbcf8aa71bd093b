package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/golden"
)

// TestExamplesGolden scans the bundled examples from the repository root, as the README
// does, and compares the JSON report with testdata/golden/*.json.
func TestExamplesGolden(t *testing.T) {
	dir, err := filepath.Abs("testdata/golden")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		example string
		args    []string
		want    int
	}{
		{"shop", nil, 1},
		{"shop-hardened", []string{"--fail-on", "low"}, 0},
	}
	t.Chdir("../..")
	for _, tc := range tests {
		t.Run(tc.example, func(t *testing.T) {
			args := append([]string{"scan", "-o", "json", "examples/" + tc.example}, tc.args...)
			code, out, errb := run(t, "", args...)
			if code != tc.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.want, errb)
			}
			doc := decodeJSON(t, out)
			if len(doc.Errors) > 0 {
				t.Errorf("the example does not load cleanly: %q", doc.Errors)
			}
			golden.Check(t, filepath.Join(dir, tc.example+".json"), []byte(out))
		})
	}
}

// TestREADMECommand builds the real binary and runs the README's first command.
func TestREADMECommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "moat")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "scan", "examples/shop")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := cmd.Output()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() != 1 {
		t.Fatalf("moat scan examples/shop: %v, want exit 1 (findings)\n%s", err, out)
	}
	if !strings.Contains(string(out), "objects scanned") || strings.Contains(string(out), "\x1b[") {
		t.Errorf("want a plain table with a summary line:\n%s", out)
	}
}

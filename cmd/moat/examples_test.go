package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestExamplesGolden scans the bundled examples from the repository root, as the README
// does, and compares the JSON report with testdata/golden/*.json.
func TestExamplesGolden(t *testing.T) {
	golden, err := filepath.Abs("testdata/golden")
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
			path := filepath.Join(golden, tc.example+".json")
			if *update {
				if err := os.MkdirAll(golden, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./cmd/moat -run Golden -update writes it)", err)
			}
			if string(want) != out {
				t.Errorf("%s differs from the scan; review with go test ./cmd/moat -run Golden -update && git diff", path)
			}
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

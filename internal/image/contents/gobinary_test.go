package contents

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// buildGoBinary builds a small program that imports golang.org/x/text at the version
// Moat's own go.mod requires, so the module is in the local cache (and its hashes are
// in Moat's go.sum), and returns the binary and that version.
func buildGoBinary(t *testing.T) (binary []byte, textVersion string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the test binary")
	}
	textVersion = requiredVersion(t, "../../../go.mod", "golang.org/x/text")
	src := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/tiny\n\ngo 1.22\n\nrequire golang.org/x/text "+textVersion+"\n")
	write("go.sum", goSumLines(t, "../../../go.sum", "golang.org/x/text "+textVersion))
	write("main.go", "package main\n\nimport (\n\t\"fmt\"\n\n\t\"golang.org/x/text/language\"\n)\n\nfunc main() { fmt.Println(language.English) }\n")

	out := filepath.Join(src, "tiny")
	cmd := exec.Command(goBin, "build", "-trimpath", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "CGO_ENABLED=0", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	binary, err = os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return binary, textVersion
}

// requiredVersion reads a module's version from a go.mod's require lines.
func requiredVersion(t *testing.T, gomod, module string) string {
	t.Helper()
	f, err := os.Open(gomod)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(s.Text()), "require "))
		if len(fields) >= 2 && fields[0] == module {
			return fields[1]
		}
	}
	t.Fatalf("%s does not require %s", gomod, module)
	return ""
}

// goSumLines are the lines of a go.sum for one module version, so the build needs no
// checksum database.
func goSumLines(t *testing.T, gosum, moduleVersion string) string {
	t.Helper()
	b, err := os.ReadFile(gosum)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for line := range strings.Lines(string(b)) {
		if strings.HasPrefix(line, moduleVersion+" ") || strings.HasPrefix(line, moduleVersion+"/go.mod ") {
			out.WriteString(line)
		}
	}
	if out.Len() == 0 {
		t.Fatalf("%s has no lines for %s", gosum, moduleVersion)
	}
	return out.String()
}

func TestInventoryGoBinary(t *testing.T) {
	binary, textVersion := buildGoBinary(t)
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	want := []string{
		"Go example.com/tiny (devel) /usr/local/bin/tiny L2",
		"Go golang.org/x/text " + strings.TrimPrefix(textVersion, "v") + " /usr/local/bin/tiny L2",
		"Go stdlib " + goVersion + " /usr/local/bin/tiny L2",
	}
	tests := []struct {
		name       string
		spillBytes int64
	}{
		{"kept in memory", 0},
		{"spilled to a temporary file", 64 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			img := imageOf(t,
				layer(t, reg("etc/os-release", debian12), exe("usr/bin/start.sh", "#!/bin/sh\nexec /usr/local/bin/tiny\n")),
				layer(t, dir("usr/local/bin"), exe("usr/local/bin/tiny", string(binary))),
			)
			got, err := Inventory(context.Background(), img, Options{spillBytes: tt.spillBytes})
			if err != nil {
				t.Fatal(err)
			}
			lines := describe(t, img, got.Packages)
			if strings.Join(lines, "\n") != strings.Join(want, "\n") {
				t.Errorf("packages:\n got %q\nwant %q", lines, want)
			}
			if len(got.Warnings) > 0 {
				t.Errorf("warnings: %q", got.Warnings)
			}
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
		})
	}
}

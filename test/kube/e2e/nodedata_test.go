package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// TestNodeData guards internal/node/componentdata/data/<1.N>/components.json, the
// flags, admission plugins, feature gates and configuration defaults of the pinned
// Kubernetes components: it runs the generator (test/kube/cmd/nodedata, which calls
// the components' own code) and fails on any difference from the checked-in file, so
// that a new pinned version cannot ship stale data. With MOAT_UPDATE_GOLDEN=1 it
// rewrites the file. It needs no running cluster.
//
// The generator runs as its own program rather than inside this test binary: it links
// all five components (some 200 MB), which every e2e build would otherwise pay for.
func TestNodeData(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the data holds the defaults of Linux nodes; the generator runs only on linux")
	}
	if testing.Short() {
		t.Skip("builds the five Kubernetes components' packages")
	}
	root, err := kubetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cmd := exec.Command("go", "run", "./cmd/nodedata", "-data", out)
	cmd.Dir = filepath.Join(root, "test", "kube")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go run ./cmd/nodedata: %v\n%s", err, stderr.Bytes())
	}
	t.Logf("generator:\n%s", stderr.Bytes())

	generated, err := filepath.Glob(filepath.Join(out, "*", "components.json"))
	if err != nil || len(generated) != 1 {
		t.Fatalf("the generator wrote %v, want one <1.N>/components.json (%v)", generated, err)
	}
	got, err := os.ReadFile(generated[0])
	if err != nil {
		t.Fatal(err)
	}
	release := filepath.Base(filepath.Dir(generated[0]))
	path := filepath.Join(root, "internal", "node", "componentdata", "data", release, "components.json")
	if os.Getenv(updateEnv) == "1" {
		checkGenerated(t, path, got) // writes it
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: generate it with %s=1 go test -run TestNodeData ./e2e/", err, updateEnv)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what the pinned Kubernetes source yields:\n%s\nregenerate it with %s=1 go test -run TestNodeData ./e2e/",
			path, jsonDifferences(t, want, got, 20), updateEnv)
	}
}

// jsonDifferences lists, one a line, up to max paths at which two JSON documents
// differ ("components.kubelet.flags.read-only-port.default: file 10255, source 0"),
// which says more about a changed release than the first differing line.
func jsonDifferences(t *testing.T, file, source []byte, max int) string {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(file, &a); err != nil {
		return fmt.Sprintf("the checked-in file is not JSON: %v", err)
	}
	if err := json.Unmarshal(source, &b); err != nil {
		t.Fatalf("the generator wrote invalid JSON: %v", err)
	}
	var lines []string
	var walk func(path string, a, b any)
	walk = func(path string, a, b any) {
		am, aok := a.(map[string]any)
		bm, bok := b.(map[string]any)
		if !aok || !bok {
			if !reflect.DeepEqual(a, b) {
				lines = append(lines, fmt.Sprintf("  %s: file %s, source %s", path, compactJSON(a), compactJSON(b)))
			}
			return
		}
		var keys []string
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			av, inA := am[k]
			bv, inB := bm[k]
			p := k
			if path != "" {
				p = path + "." + k
			}
			switch {
			case !inA:
				lines = append(lines, fmt.Sprintf("  %s: only in the source: %s", p, compactJSON(bv)))
			case !inB:
				lines = append(lines, fmt.Sprintf("  %s: only in the file", p))
			default:
				walk(p, av, bv)
			}
		}
	}
	walk("", a, b)
	if len(lines) == 0 {
		return "  (the same JSON, laid out differently)"
	}
	more := ""
	if len(lines) > max {
		more = fmt.Sprintf("\n  ... and %d more", len(lines)-max)
		lines = lines[:max]
	}
	var buf bytes.Buffer
	for i, l := range lines {
		if i > 0 {
			buf.WriteByte('\n')
		}
		buf.WriteString(l)
	}
	return buf.String() + more
}

func compactJSON(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

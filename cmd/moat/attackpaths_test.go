package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/golden"
)

// TestAttackPathsExamples runs `moat paths` on the bundled examples from the repository
// root: the shop's paths and choke point (the README lists them; the table golden keeps
// the README honest) and the hardened shop's, each in every text format.
func TestAttackPathsExamples(t *testing.T) {
	dir, err := filepath.Abs("testdata/golden")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("../..")
	for _, tc := range []struct {
		example string
		code    int
	}{
		{"shop", 1},
		// Hardened, the exposed API still reads its own Secrets: a breach of it reaches
		// them, and the paths say so (the choke point is the route in front of it).
		{"shop-hardened", 1},
	} {
		for _, format := range []string{"table", "json", "dot"} {
			t.Run(tc.example+"/"+format, func(t *testing.T) {
				code, out, errb := run(t, "", "paths", "examples/"+tc.example, "-o", format)
				if code != tc.code {
					t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, errb)
				}
				golden.Check(t, filepath.Join(dir, "paths-"+tc.example+"."+format), []byte(out))
			})
		}
	}
	// The README shows the shop's paths: every path line of the table is in it.
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, out, _ := run(t, "", "paths", "examples/shop")
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "PATH ") || strings.Contains(line, "— cuts ") {
			if !strings.Contains(string(readme), strings.TrimSpace(line)) {
				t.Errorf("README.md does not show %q: rewrite its attack paths section from `moat paths examples/shop`", strings.TrimSpace(line))
			}
		}
	}
}

// TestAttackPathsInputErrors: a breach that names no workload, and bad limits, are
// usage errors (exit 2) that name what is wrong.
func TestAttackPathsInputErrors(t *testing.T) {
	t.Chdir("../..")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"paths", "examples/shop", "--assume-breach", "shop/Deployment/nope"}, "shop/Deployment/nope"},
		{[]string{"paths", "examples/shop", "--assume-breach", "no-slashes"}, "no-slashes"},
		{[]string{"paths", "examples/shop", "--choke-points", "0"}, "--choke-points"},
		{[]string{"paths", "examples/shop", "-o", "xml"}, "--output"},
	} {
		code, _, errb := run(t, "", tc.args...)
		if code != 2 || !strings.Contains(errb, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %q", tc.args, code, errb, tc.want)
		}
	}
}

// TestAttackPathsBreach: an assumed breach of the shop's cache (not exposed) is an entry of
// its own, and its paths start there.
func TestAttackPathsBreach(t *testing.T) {
	t.Chdir("../..")
	code, out, errb := run(t, "", "paths", "examples/shop", "--assume-breach", "shop/Deployment/redis", "-o", "json", "--max-paths", "0")
	if code != 1 {
		t.Fatalf("exit %d; stderr %s", code, errb)
	}
	var doc struct {
		Paths []struct {
			Entry struct{ ID string } `json:"entry"`
		} `json:"paths"`
		Assumptions []struct{ Text string } `json:"assumptions"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range doc.Paths {
		found = found || strings.Contains(p.Entry.ID, "breach")
	}
	if !found {
		t.Errorf("no path starts at the assumed breach:\n%s", out)
	}
}

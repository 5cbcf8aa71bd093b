package inventory

import (
	"encoding/json"
	"io"
	"log"
	"os"
	"strings"
	"testing"
)

// Kustomize prints its warnings about deprecated fields to the process's stderr; Moat
// reports them as its own warnings, naming the kustomization, and builds the same
// objects kustomize would.
func TestKustomizeDeprecationWarningsAreMoatWarnings(t *testing.T) {
	inv := loadWatchingStderr(t, "testdata/deprecated-kustomize")
	if len(inv.Errors) > 0 {
		t.Fatalf("errors: %v", inv.Errors)
	}
	for _, want := range []string{"'bases' is deprecated", "'commonLabels' is deprecated", "'patchesStrategicMerge' is deprecated"} {
		found := false
		for _, w := range inv.Warnings {
			found = found || (strings.Contains(w, want) && strings.Contains(w, "testdata/deprecated-kustomize/kustomization.yaml"))
		}
		if !found {
			t.Errorf("no warning %q naming the kustomization in %q", want, inv.Warnings)
		}
	}
	if len(inv.Objects) != 1 || inv.Objects[0].Meta.GetLabels()["team"] != "shop" || !strings.Contains(string(mustJSON(t, inv.Objects[0])), `"mode":"staging"`) {
		t.Fatalf("want the ConfigMap with label team=shop and the patch applied, got %d objects", len(inv.Objects))
	}
}

func mustJSON(t *testing.T, o *Object) []byte {
	t.Helper()
	b, err := json.Marshal(o.Obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadWatchingStderr loads path and fails the test if anything reached the process's
// stderr or the standard logger meanwhile.
func loadWatchingStderr(t *testing.T, path string) *Inventory {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, logOut := os.Stderr, log.Writer()
	os.Stderr = w
	log.SetOutput(w)
	inv := Load([]string{path}, Options{})
	os.Stderr = stderr
	log.SetOutput(logOut)
	w.Close()
	raw, _ := io.ReadAll(r)
	if len(raw) > 0 {
		t.Errorf("kustomize wrote to stderr: %q", raw)
	}
	return inv
}

// kustomize keeps vars (its fix does not rewrite them) and says so on stderr each
// build, and logs the vars it never replaced: both become Moat warnings.
func TestKustomizeVarsWarningsAreMoatWarnings(t *testing.T) {
	inv := loadWatchingStderr(t, "testdata/vars-kustomize")
	if len(inv.Errors) > 0 || len(inv.Objects) != 1 {
		t.Fatalf("errors %v, %d objects", inv.Errors, len(inv.Objects))
	}
	for _, want := range []string{"'vars' is deprecated", "well-defined vars that were never replaced: X"} {
		n := 0
		for _, w := range inv.Warnings {
			if strings.Contains(w, want) && strings.HasPrefix(w, "testdata/vars-kustomize/kustomization.yaml: kustomize: ") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d warnings %q naming the kustomization, want 1, in %q", n, want, inv.Warnings)
		}
	}
}

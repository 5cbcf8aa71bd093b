package inventory

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
)

// Kustomize prints its warnings about deprecated fields to the process's stderr; Moat
// reports them as its own warnings, naming the kustomization, and builds the same
// objects kustomize would.
func TestKustomizeDeprecationWarningsAreMoatWarnings(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	inv := Load([]string{"testdata/deprecated-kustomize"}, Options{})
	os.Stderr = stderr
	w.Close()
	raw, _ := io.ReadAll(r)

	if len(raw) > 0 {
		t.Errorf("kustomize wrote to stderr: %q", raw)
	}
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

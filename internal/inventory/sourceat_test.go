package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestSourceAt(t *testing.T) {
	fromFile := func(t *testing.T, file string) []*Object {
		objs, errs := DecodeFile(file)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return objs
	}
	const stdin = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n# piped pod\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: busybox\n    securityContext: {privileged: true}\n"
	fromStdin := func(t *testing.T, _ string) []*Object {
		objs, errs := Decode(strings.NewReader(stdin), "<stdin>")
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return objs
	}
	tests := []struct {
		name   string
		decode func(*testing.T, string) []*Object
		file   string
		object int
		path   string
		want   int
	}{
		{"file: a deep field gives the line of its key", fromFile, "testdata/multi.yaml", 0, "spec.template.spec.containers[0].securityContext.privileged", 22},
		{"file: a field of the first document after a comment and ---", fromFile, "testdata/multi.yaml", 0, "metadata.name", 6},
		{"file: a mapping gives the line of its key, not of its first field", fromFile, "testdata/multi.yaml", 0, "spec.template.spec.containers[0].securityContext", 21},
		{"file: a sequence item gives the line of its dash", fromFile, "testdata/multi.yaml", 0, "spec.template.spec.containers[0]", 19},
		{"file: a field not written resolves to the deepest part that is", fromFile, "testdata/multi.yaml", 0, "spec.template.spec.containers[0].resources.limits", 19},
		{"file: an index past the end resolves to the sequence", fromFile, "testdata/multi.yaml", 0, "spec.template.spec.containers[5].image", 18},
		{"file: the empty path is the object's first line", fromFile, "testdata/multi.yaml", 1, "", 24},
		{"file: a map key with dots in brackets", fromFile, "testdata/multi.yaml", 2, "data[nginx.conf]", 47},
		{"file: a later document counts from the file's first line", fromFile, "testdata/multi.yaml", 1, "spec.ports[0].port", 33},
		{"List item: a field of the second item", fromFile, "testdata/list.yaml", 1, "metadata.uid", 18},
		{"List item: a nested field of the second item", fromFile, "testdata/list.yaml", 1, "subjects[0].name", 25},
		{"List item: the first item's own field, not the List's", fromFile, "testdata/list.yaml", 0, "metadata.name", 7},
		{"JSON file: a field in a flow mapping on its own line", fromFile, "testdata/object.json", 0, "spec.containers[0].securityContext.privileged", 15},
		{"JSON file: compact JSON with several fields on a line", fromFile, "testdata/tree/nested/deeper/policy.json", 0, "spec.policyTypes", 3},
		{"stdin: a field of the second document", fromStdin, "", 1, "spec.containers[0].securityContext.privileged", 15},
		{"stdin: the second document's first line is its comment's", fromStdin, "", 1, "", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs := tt.decode(t, tt.file)
			got := objs[tt.object].SourceAt(tt.path)
			if got == nil || got.Line != tt.want {
				t.Errorf("SourceAt(%q) = %v, want line %d", tt.path, got, tt.want)
			}
			if tt.file != "" && got.File != tt.file {
				t.Errorf("file %q, want %q", got.File, tt.file)
			}
		})
	}
}

func TestSourceAtNoSource(t *testing.T) {
	objs, _ := Decode(strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"), "x")
	o := New(objs[0].Obj, objs[0].GVK, nil) // as the cluster loader makes them
	if o.SourceAt("metadata.name") != nil {
		t.Error("an object read from a cluster has a source")
	}
}

func TestObjectsKeepAnIndexNotTheirText(t *testing.T) {
	for _, load := range []func() ([]*Object, []error){
		func() ([]*Object, []error) { return DecodeFile("testdata/multi.yaml") },
		func() ([]*Object, []error) {
			return Decode(strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"), "<stdin>")
		},
	} {
		objs, _ := load()
		for _, o := range objs {
			if o.text == nil || o.text.idx == nil || len(o.text.idx.nodes) == 0 {
				t.Errorf("%s was decoded without a line index", describe(o))
			}
		}
	}
}

// TestSourceAtFileChangedSinceLoad: lines come from the bytes that were decoded, not
// from the file as it is when a finding asks for one. An edit that moves every line
// of the file, or removing it, changes nothing, and SourceAt needs no I/O.
func TestSourceAtFileChangedSinceLoad(t *testing.T) {
	file := filepath.Join(t.TempDir(), "app.yaml")
	writeFile(t, file, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: second\nspec:\n  hostNetwork: true\n")
	objs, errs := DecodeFile(file)
	if len(errs) > 0 || len(objs) != 2 {
		t.Fatal(objs, errs)
	}
	check := func(when string) {
		t.Helper()
		for _, c := range []struct {
			obj  int
			path string
			want int
		}{{0, "metadata.name", 4}, {1, "metadata.name", 9}, {1, "spec.hostNetwork", 11}, {1, "spec.hostPID", 10}} {
			if got := objs[c.obj].SourceAt(c.path); got == nil || got.File != filepath.ToSlash(file) || got.Line != c.want {
				t.Errorf("%s: SourceAt(%s) = %v, want line %d of the text that was decoded", when, c.path, got, c.want)
			}
		}
	}
	writeFile(t, file, "# a comment\n# and another\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n---\n# edited\napiVersion: v1\nkind: Pod\nmetadata:\n  labels: {a: b}\n  name: second\nspec:\n  hostPID: true\n  hostNetwork: true\n")
	check("after the file changed")
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	check("after the file was removed")
}

func TestSourceAtConcurrent(t *testing.T) {
	// The engine asks for lines of one object from several workers at once; the items
	// of a List share one text. Run with -race to check.
	objs, _ := DecodeFile("testdata/list.yaml")
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if got := objs[1].SourceAt("roleRef.name").Line; got != 22 {
					t.Errorf("line %d, want 22", got)
					return
				}
				if got := objs[0].SourceAt("metadata.name").Line; got != 7 {
					t.Errorf("line %d, want 7", got)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestSplitPath(t *testing.T) {
	tests := map[string][]string{
		"":                                  nil,
		"spec":                              {"spec"},
		"spec.containers[0].image":          {"spec", "containers", "[0]", "image"},
		"items[3]":                          {"items", "[3]"},
		"metadata.annotations[a.b/c]":       {"metadata", "annotations", "[a.b/c]"},
		"data[app.properties].x":            {"data", "[app.properties]", "x"},
		"a..b":                              {"a", "b"},
		"unclosed[3":                        {"unclosed", "[3"},
		"spec.volumes[1].hostPath.path[0]]": {"spec", "volumes", "[1]", "hostPath", "path", "[0]", "]"},
	}
	for in, want := range tests {
		got := splitPath(in)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("splitPath(%q) = %q, want %q", in, got, want)
		}
	}
}

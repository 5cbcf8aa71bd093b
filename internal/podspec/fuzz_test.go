package podspec_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/podspec"
)

// FuzzPrepare feeds Prepare objects of the testdata documents and what the fuzzer makes
// of them, decoded as the inventory decodes unknown kinds. Prepare must not panic; an
// object gets a template or an error, never both; a template Of returns must walk.
func FuzzPrepare(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, doc := range bytes.Split(b, []byte("\n---\n")) {
			js, err := yaml.YAMLToJSON(doc)
			if err != nil {
				f.Fatalf("%s: %v", file, err)
			}
			f.Add(js)
		}
	}
	f.Fuzz(func(t *testing.T, js []byte) {
		obj, gvk, err := unstructured.UnstructuredJSONScheme.Decode(js, nil, nil)
		if err != nil {
			return
		}
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return // a List
		}
		o := inventory.New(u, *gvk, nil)
		errs := podspec.Prepare([]*inventory.Object{o}, configPaths)
		if len(errs) > 0 && o.PodTemplate != nil {
			t.Fatalf("a template and errors %v", errs)
		}
		if p, ok := podspec.Of(o); ok {
			_ = p.Containers()
			_ = p.Volumes()
			_ = p.MetaPath()
		}
	})
}

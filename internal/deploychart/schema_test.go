package deploychart

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// schemaNode is the part of a JSON schema this test walks.
type schemaNode struct {
	Ref                  string                 `json:"$ref"`
	Type                 any                    `json:"type"`
	Properties           map[string]*schemaNode `json:"properties"`
	AdditionalProperties json.RawMessage        `json:"additionalProperties"`
	Items                *schemaNode            `json:"items"`
	OneOf                []*schemaNode          `json:"oneOf"`
	Definitions          map[string]*schemaNode `json:"definitions"`
}

// TestSchemaCoversEveryValue walks values.yaml: every key has its place in
// values.schema.json, and every object the schema names keys for refuses the others
// (additionalProperties: false), but for the maps whose keys are the user's (labels,
// annotations, selectors) and the free objects it hands to Kubernetes or Moat as they are.
func TestSchemaCoversEveryValue(t *testing.T) {
	dir := chartDir(t)
	var root schemaNode
	b, err := os.ReadFile(filepath.Join(dir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatalf("values.schema.json: %v", err)
	}
	var vals map[string]any
	b, err = os.ReadFile(filepath.Join(dir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &vals); err != nil {
		t.Fatalf("values.yaml: %v", err)
	}
	resolve := func(n *schemaNode) *schemaNode {
		for n != nil && n.Ref != "" {
			n = root.Definitions[strings.TrimPrefix(n.Ref, "#/definitions/")]
		}
		return n
	}
	var walk func(path string, v any, n *schemaNode)
	walk = func(path string, v any, n *schemaNode) {
		n = resolve(n)
		if n == nil {
			t.Errorf("%s: no schema", path)
			return
		}
		m, ok := v.(map[string]any)
		if !ok || n.Properties == nil {
			return // a scalar, a list, or a map whose keys are the user's
		}
		if string(n.AdditionalProperties) != "false" {
			t.Errorf("%s: the schema names its keys but accepts others", path)
		}
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		}) {
			child, ok := n.Properties[k]
			if !ok {
				t.Errorf("%s.%s: in values.yaml, not in values.schema.json", path, k)
				continue
			}
			walk(path+"."+k, m[k], child)
		}
	}
	walk("values", vals, &root)
}

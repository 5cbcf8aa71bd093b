package engine

import (
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
)

func TestSourcesShareOneLine(t *testing.T) {
	objs, errs := inventory.Decode(strings.NewReader(`apiVersion: v1
kind: Pod
metadata:
  name: a
spec:
  containers:
  - name: c
    securityContext:
      privileged: true
---
apiVersion: v1
kind: Pod
metadata:
  name: b
spec:
  containers:
  - name: c
`), "pods.yaml")
	if len(errs) > 0 || len(objs) != 2 {
		t.Fatalf("decode: %v %d", errs, len(objs))
	}
	a, b := objs[0], objs[1]
	var c sources
	paths := []string{"spec.containers[0].securityContext.privileged", "spec", "spec.containers[0]", "spec.containers[0].securityContext.privileged", "", "x.y", "metadata", "spec.containers[0].image", "spec.volumes", "metadata.name", "spec.containers[0].securityContext", "kind", "spec"}
	seen := map[string]any{}
	for _, o := range []*inventory.Object{a, b, a} {
		for _, p := range paths {
			got, want := c.at(o, p), o.SourceAt(p)
			if *got != *want {
				t.Fatalf("%s %q: %v, SourceAt says %v", o.Name(), p, got, want)
			}
			key := o.Name() + "@" + want.String()
			if prev, ok := seen[key]; ok && prev != any(got) && c.n <= len(c.last) {
				t.Errorf("%s %q: a second Source for line %s", o.Name(), p, want)
			}
			seen[key] = got
		}
		seen = map[string]any{}
	}
	if c.at(inventory.New(nil, a.GVK, nil), "spec") != nil {
		t.Error("an object without a source has a source")
	}
}

package inventory

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestLookupPathsAsSplitPath checks that SourceAt's walk of a path in place finds the
// line that splitting the joined path found.
func TestLookupPathsAsSplitPath(t *testing.T) {
	doc := []byte(`apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: a
    annotations:
      app.kubernetes.io/name: x
  data:
    app.properties: |
      a=b
    "10": ten
- kind: Pod
  spec:
    containers:
    - name: c
      securityContext:
        privileged: true
    - name: d
`)
	idx := indexDocument(doc)
	if idx == nil {
		t.Fatal("no index")
	}
	parts := []string{"items", "[0]", "[1]", "[2]", "[-1]", "[+1]", "[01]", "metadata", "annotations",
		"[app.kubernetes.io/name]", "data", "[app.properties]", "[10]", "spec", "containers",
		"securityContext", "privileged", "name", "[", "]", "", ".", "x"}
	r := rand.New(rand.NewPCG(1, 1))
	for range 20000 {
		join := func() string {
			var b strings.Builder
			for n := r.IntN(6); n > 0; n-- {
				p := parts[r.IntN(len(parts))]
				if b.Len() > 0 && !strings.HasPrefix(p, "[") && r.IntN(4) > 0 {
					b.WriteByte('.')
				}
				b.WriteString(p)
			}
			return b.String()
		}
		a, b := join(), join()
		if r.IntN(3) == 0 {
			a = ""
		}
		full := b
		if a != "" {
			full = strings.TrimSuffix(a+"."+b, ".")
		}
		if got, want := idx.lookupPaths(a, b), idx.lookup(splitPath(full)); got != want {
			t.Fatalf("lookupPaths(%q, %q) = %d, lookup(splitPath(%q)) = %d", a, b, got, full, want)
		}
	}
}

func TestAtoiAsStrconv(t *testing.T) {
	for _, s := range []string{"", "0", "7", "10", "007", "123456789", "1234567890", "-1", "+1", "1+", "a", "1a", " 1", "app.properties"} {
		got, gerr := atoi(s)
		want, werr := strconv.Atoi(s)
		if (gerr != nil) != (werr != nil) || (gerr == nil && got != want) {
			t.Errorf("atoi(%q) = %d, %v; strconv.Atoi = %d, %v", s, got, gerr, want, werr)
		}
	}
}

package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/finding"
)

// The fuzz targets are seeded from every manifest under testdata/, the same inputs
// the loader tests use; crashers found are kept under testdata/fuzz/.
//
//	go test ./internal/inventory -run '^$' -fuzz FuzzDecode -fuzztime 60s

func seedManifests(f *testing.F, add func(data []byte)) {
	f.Helper()
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, filepath.Join("testdata", "fuzz")) {
			return err
		}
		if ext := filepath.Ext(p); ext == ".yaml" || ext == ".yml" || ext == ".json" {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			add(data)
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"",
		"---",
		"\xef\xbb\xbfapiVersion: v1\nkind: Namespace\nmetadata: {name: bom}\n",
		"apiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: crlf\r\n",
		"a: &x {b: *x}\n",
		"apiVersion: v1\nkind: List\nitems: []\n",
		"~\n---\nnull\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  k: |+\n    keep\n\n---\n",
		`{"apiVersion":"v1","kind":"NamespaceList","items":[{"metadata":{"name":"a"}},{},null,[1],{"kind":null}]}`,
		"apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: p}\n  spec: {hostNetwork: true, containers: [{name: c, securityContext: {privileged: \"yes\"}}]}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {a: true, b: [1]}}\nspec: {containers: [{name: c, args: [1, x, {}], ports: [{containerPort: x}]}], hostPID: 1.5}\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: []\n",
		"name: ci\non: push\njobs: {}\n---\n- a\n---\n7\n",
		string(genManifests(40)),
	} {
		add([]byte(s))
	}
}

// FuzzDecode: arbitrary bytes must not panic the decoder, and every non-blank
// document must be accounted for by at least one object or one error, each naming
// the file and a line inside that document (a null document or an empty List
// decodes to nothing, rightly).
func FuzzDecode(f *testing.F) {
	seedManifests(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, errs := Decode(bytes.NewReader(data), "fuzz.yaml")

		var docs []document
		if err := splitDocuments(bytes.NewReader(data), func(d document) error { docs = append(docs, d); return nil }); err != nil {
			t.Fatal(err)
		}
		counted := make([]int, len(docs))
		objects := make([]int, len(docs))
		// place finds the document a line belongs to: the last that starts at or before it.
		place := func(what string, line int) int {
			i := -1
			for k, d := range docs {
				if d.line <= line {
					i = k
				}
			}
			if i < 0 {
				t.Fatalf("%s names line %d, before the first document (line %d)", what, line, docs[0].line)
			}
			counted[i]++
			return i
		}
		for _, o := range objs {
			if o.Source == nil || o.Source.File != "fuzz.yaml" || o.Source.Line < 1 {
				t.Fatalf("object without a proper source: %+v", o.Source)
			}
			if len(docs) == 0 {
				t.Fatal("an object from no document")
			}
			objects[place("object "+o.Kind(), o.Source.Line)]++
			_ = o.SourceAt("metadata.name")
		}
		for _, e := range errs {
			var de *Error
			if !errors.As(e, &de) || de.File != "fuzz.yaml" {
				t.Fatalf("error not naming the file: %v", e)
			}
			if de.Line == 0 {
				continue // a read error of the stream, not of a document
			}
			if len(docs) == 0 {
				t.Fatalf("an error from no document: %v", e)
			}
			i := place("error "+e.Error(), de.Line)
			// A field left out says the object is checked without it: the object is there.
			var fe *fieldErr
			if errors.As(e, &fe) && fe.dropped && objects[i] == 0 {
				t.Fatalf("%v, but the document gave no object", e)
			}
		}
		for i, d := range docs {
			if counted[i] == 0 && !decodesToNothing(d.data) {
				t.Fatalf("document at line %d gave neither object nor error:\n%q", d.line, d.data)
			}
		}
	})
}

// decodesToNothing reports a document that is null or a List without items.
func decodesToNothing(doc []byte) bool {
	js, _, err := toJSON(doc)
	if err != nil {
		return false
	}
	defer putJSON(js)
	if bytes.Equal(js, []byte("null")) {
		return true
	}
	var tm typeMeta
	return readTypeMeta(js, &tm) == nil && isList(&tm) && len(tm.Items) == 0
}

// FuzzSplitDocuments: the documents are the input's own bytes at the offsets and
// lines they claim, in order, without separators.
func FuzzSplitDocuments(f *testing.F) {
	seedManifests(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, data []byte) {
		var prevEnd int64
		err := splitDocuments(bytes.NewReader(data), func(d document) error {
			if d.data == nil {
				t.Fatalf("document at line %d has no data although the input is small", d.line)
			}
			end := d.off + int64(len(d.data))
			if d.off < prevEnd || end > int64(len(data)) {
				t.Fatalf("document [%d,%d) overlaps the previous one (ends %d) or the input end %d", d.off, end, prevEnd, len(data))
			}
			if !bytes.Equal(data[d.off:end], d.data) {
				t.Fatalf("document at offset %d is not the input's bytes there:\n%q\n%q", d.off, d.data, data[d.off:end])
			}
			if want := 1 + bytes.Count(data[:d.off], []byte("\n")); d.line != want {
				t.Fatalf("document at offset %d says line %d, the input says %d", d.off, d.line, want)
			}
			if isBlank(d.data) {
				t.Fatalf("blank document emitted: %q", d.data)
			}
			for _, line := range bytes.SplitAfter(d.data, []byte("\n")) {
				if isSeparator(line) {
					t.Fatalf("document holds a separator line %q", line)
				}
			}
			prevEnd = end
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzSourceAt: any document and any path give a line inside the document, or the
// document's own line, and never panic.
func FuzzSourceAt(f *testing.F) {
	paths := []string{
		"", "metadata.name", "spec.template.spec.containers[0].securityContext.privileged",
		"items[1].metadata", "data[app.properties]", "a[", "[0]", "a..b[-1]", "]]][[[",
	}
	i := 0
	seedManifests(f, func(b []byte) {
		f.Add(b, paths[i%len(paths)])
		i++
	})
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		lines := 1 + bytes.Count(doc, []byte("\n"))
		o := &Object{Source: &finding.Source{File: "f.yaml", Line: 10}, text: indexText(doc)}
		s := o.SourceAt(path)
		if s == nil || s.File != "f.yaml" || s.Line < 10 || s.Line > 10+lines {
			t.Fatalf("SourceAt(%q) = %v for a document of %d lines starting at line 10", path, s, lines)
		}
		item := &Object{Source: &finding.Source{File: "f.yaml", Line: 1}, text: o.text, itemPath: "items[0]"}
		if s := item.SourceAt(path); s == nil || s.Line < 1 || s.Line > lines+1 {
			t.Fatalf("List item SourceAt(%q) = %v", path, s)
		}
		if l := o.text.idx.lookupLoose(splitPath(path)); l < 0 || l > lines+1 {
			t.Fatalf("lookupLoose(%q) = %d", path, l)
		}
	})
}

// FuzzDropWrongKind: leaving out the values a decoder refused never panics, leaves
// JSON, and when they are scalars (`privileged: "yes"`) removes at least one of them
// and no value of another kind.
func FuzzDropWrongKind(f *testing.F) {
	f.Add([]byte(`{"spec":{"containers":[{"securityContext":{"privileged":"yes"}},{"securityContext":{"privileged":true}}]}}`), "spec.containers.securityContext.privileged", "string")
	f.Add([]byte(`{"metadata":{"labels":{"a":true,"b":"x"}}}`), "metadata.labels", "bool")
	f.Add([]byte(`{"args":[1,"a",[2]]}`), "args", "number")
	f.Add([]byte(`[[{"a":1}]]`), "a", "number")
	f.Add([]byte(`{"a":{"b":null}}`), "a.b.c", "null")
	f.Add([]byte(`{"spec":[{"x":1}]}`), "spec", "array")
	f.Fuzz(func(t *testing.T, js []byte, field, kind string) {
		var tree any
		if json.Unmarshal(js, &tree) != nil {
			return
		}
		scalar := kind == "string" || kind == "number" || kind == "bool" || kind == "null"
		same, other := countScalars(tree, kind)
		out, removed := dropWrongKind(tree, strings.Split(field, "."), kind)
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("not JSON after dropping %s %s: %v", kind, field, err)
		}
		if !removed || !scalar {
			return
		}
		if sameAfter, otherAfter := countScalars(out, kind); sameAfter >= same || otherAfter != other {
			t.Fatalf("dropping %s at %s: %d values of the kind before, %d after; %d of other kinds before, %d after", kind, field, same, sameAfter, other, otherAfter)
		}
	})
}

// countScalars counts the scalar values in a JSON tree of kind, and of other kinds.
func countScalars(v any, kind string) (same, other int) {
	var elems []any
	switch n := v.(type) {
	case []any:
		elems = n
	case map[string]any:
		for _, e := range n {
			elems = append(elems, e)
		}
	default:
		if jsonKind(v) == kind {
			return 1, 0
		}
		return 0, 1
	}
	for _, e := range elems {
		s, o := countScalars(e, kind)
		same, other = same+s, other+o
	}
	return same, other
}

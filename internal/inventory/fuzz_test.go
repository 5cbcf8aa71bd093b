package inventory

import (
	"bytes"
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
		// place finds the document a line belongs to: the last that starts at or before it.
		place := func(what string, line int) {
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
		}
		for _, o := range objs {
			if o.Source == nil || o.Source.File != "fuzz.yaml" || o.Source.Line < 1 {
				t.Fatalf("object without a proper source: %+v", o.Source)
			}
			if len(docs) == 0 {
				t.Fatal("an object from no document")
			}
			place("object "+o.Kind(), o.Source.Line)
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
			place("error "+e.Error(), de.Line)
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

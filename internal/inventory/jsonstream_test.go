package inventory

import (
	"slices"
	"testing"
)

// A file of JSON objects one after another is what `kubectl get -o json` of several
// objects and many client libraries write; kubectl reads each. YAML reads only the
// first and dropped the rest without a word.
func TestJSONStream(t *testing.T) {
	tests := []struct {
		file     string
		want     []string
		wantErrs []string
		// field and line: SourceAt of the last object's field.
		field string
		line  int
	}{
		{file: "oneline.json", want: []string{
			"v1 Namespace a @ testdata/jsonstream/oneline.json:1",
			"v1 Namespace b @ testdata/jsonstream/oneline.json:2",
		}},
		{file: "pretty.json", want: []string{
			"v1 ConfigMap shop/first @ testdata/jsonstream/pretty.json:1",
			"v1 Pod shop/second @ testdata/jsonstream/pretty.json:7",
		}, field: "spec.hostNetwork", line: 12},
		{file: "trailing.json", want: []string{
			"v1 Namespace a @ testdata/jsonstream/trailing.json:1",
		}, wantErrs: []string{"testdata/jsonstream/trailing.json:2: invalid YAML: after a JSON object, not another one"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			objs, errs := DecodeFile("testdata/jsonstream/" + tc.file)
			got := describeAll(objs)
			if !slices.Equal(got, tc.want) {
				t.Errorf("objects:\n got %q\nwant %q", got, tc.want)
			}
			es := errorStrings(errs)
			if len(es) != len(tc.wantErrs) {
				t.Fatalf("errors %q, want %q", es, tc.wantErrs)
			}
			for i := range es {
				if len(es[i]) < len(tc.wantErrs[i]) || es[i][:len(tc.wantErrs[i])] != tc.wantErrs[i] {
					t.Errorf("error %q, want prefix %q", es[i], tc.wantErrs[i])
				}
			}
			if tc.field != "" {
				if s := objs[len(objs)-1].SourceAt(tc.field); s == nil || s.Line != tc.line {
					t.Errorf("SourceAt(%s) = %v, want line %d", tc.field, s, tc.line)
				}
			}
		})
	}
}

package inventory

import (
	"slices"
	"strings"
	"testing"

	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
)

// splitHelmCases are rendered outputs that Helm's splitting and a YAML stream reader
// cut differently, or that test the edges of the separator; they seed FuzzSplitHelm.
var splitHelmCases = []struct {
	name string
	text string
}{
	{"a comment right after the separator", "---# leading comment\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n"},
	{"an object right after the separator", "---apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n"},
	{"if -}} after a separator joins the comment to it", "---\n---# a comment\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: b\n"},
	{"leading blank lines and indented first line", "\n\n   \n  apiVersion: v1\nkind: A\n---\n\n\tkind: B\n"},
	{"separators with spaces and tabs", "a: 1\n--- \t\nb: 2\n---\t# c\nc: 3\n"},
	{"empty documents are dropped", "---\n---\n\n---\na: 1\n---\n   \n"},
	{"four dashes split too", "a: 1\n----\nb: 2\n"},
	{"dashes not at a line start do not split", "a: |\n  ---\n  x\nb: 'c --- d'\n"},
	{"CRLF line ends", "a: 1\r\n---\r\nb: 2\r\n"},
	{"document end marker is kept", "a: 1\n...\n---\nb: 2\n"},
	{"nothing", ""},
	{"only white space", " \n\t\n"},
	{"no trailing newline", "a: 1\n---\nb: 2"},
	{"a separator at the very start after white space", "  \n---\na: 1\n"},
}

// Every piece splitHelm gives is a piece Helm's SplitManifests gives, in the same
// order, and each starts where splitHelm says it does.
func TestSplitHelmMatchesHelm(t *testing.T) {
	for _, tc := range splitHelmCases {
		t.Run(tc.name, func(t *testing.T) { checkSplitHelm(t, tc.text) })
	}
}

func checkSplitHelm(t *testing.T, text string) {
	t.Helper()
	docs := splitHelm(text)
	helm := releaseutil.SplitManifests(text)
	keys := make([]string, 0, len(helm))
	for k := range helm {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		s := releaseutil.BySplitManifestsOrder{a, b}
		if s.Less(0, 1) {
			return -1
		}
		if s.Less(1, 0) {
			return 1
		}
		return 0
	})
	if len(docs) != len(keys) {
		t.Fatalf("%d documents, Helm has %d: %q", len(docs), len(keys), helm)
	}
	for i, d := range docs {
		if d.data == nil || string(d.data) != helm[keys[i]] {
			t.Errorf("document %d is %q, Helm's is %q", i, d.data, helm[keys[i]])
		}
		if !strings.HasPrefix(text[d.off:], string(d.data)) {
			t.Errorf("document %d is not at offset %d", i, d.off)
		}
		if want := 1 + strings.Count(text[:d.off], "\n"); d.line != want {
			t.Errorf("document %d on line %d, want %d", i, d.line, want)
		}
	}
}

// The split of the template: the ClusterRole and the ServiceAccount after
// `---# comment` and `---{{- if -}}` are objects, not invalid YAML.
func TestHelmSplitsLikeHelm(t *testing.T) {
	inv := Load([]string{"testdata/charts/split"}, Options{})
	if len(inv.Errors) > 0 {
		t.Fatalf("errors: %v", inv.Errors)
	}
	want := []string{
		"rbac.authorization.k8s.io/v1 ClusterRole split-everything @ testdata/charts/split/templates/rbac.yaml:1 (helm:split)",
		"v1 ServiceAccount split @ testdata/charts/split/templates/rbac.yaml:12 (helm:split)",
		"rbac.authorization.k8s.io/v1 ClusterRoleBinding split-everything @ testdata/charts/split/templates/rbac.yaml:20 (helm:split)",
		"rbac.authorization.k8s.io/v1 Role split-secrets @ testdata/charts/split/templates/rbac.yaml:34 (helm:split)",
	}
	if got := describeAll(inv.Objects); !slices.Equal(got, want) {
		t.Errorf("objects:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// FuzzSplitHelm: on any text, splitHelm cuts the pieces Helm cuts, at the places it
// says.
//
//	go test ./internal/inventory -run '^$' -fuzz FuzzSplitHelm -fuzztime 60s
func FuzzSplitHelm(f *testing.F) {
	for _, tc := range splitHelmCases {
		f.Add(tc.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > MaxDocumentBytes {
			return
		}
		checkSplitHelm(t, text)
	})
}

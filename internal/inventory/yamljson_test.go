package inventory

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	yaml3 "go.yaml.in/yaml/v3"

	sigsyaml "sigs.k8s.io/yaml"
)

// fastCases are YAML documents and whether the fast path reads them; either way the
// JSON must mean what sigs.k8s.io/yaml makes of them. They also seed FuzzYAMLToJSON.
var fastCases = []struct {
	name string
	yaml string
	fast bool
}{
	{"block mappings and sequences", "a: 1\nb:\n  c: x\n  d:\n  - 1\n  - two\n", true},
	{"sequence at the key's column", "containers:\n- name: a\n  image: b\n- name: c\n", true},
	{"compact nested mapping in a sequence", "x:\n  - name: a\n    ports:\n    - 80\n    - containerPort: 8080\n      protocol: TCP\n", true},
	{"comments everywhere", "# head\na: b # trailing\n  # indented comment\nc:   # after key\n  d: e\n", true},
	{"quoted scalars", "a: \"x: y\"\nb: 'it''s'\nc: \"tab\\tnew\\nquote\\\"\"\n\"q k\": v\n", true},
	{"yaml 1.1 booleans and nulls", "a: yes\nb: off\nc: ~\nd: null\ne:\nf: Y\ng: 'yes'\n", true},
	{"numbers", "a: 0755\nb: 0x1F\nc: 1_000\nd: 1e3\ne: .5\nf: -0\ng: 18446744073709551615\nh: 99999999999999999999\ni: +12\nj: 1.0\n", true},
	{"timestamps stay strings", "a: 2024-01-02\nb: 2024-01-02T10:00:00Z\nc: 2024-1-2 3:4:5\n", true},
	{"binary, octal, exponents and quantities", "a: 0b101\nb: -0b11\nc: 0o17\nd: 1e+3\ne: -1.5E-3\nf: +.5\ng: 100m\nh: 1Gi\ni: 0xFFg\nj: 1_0e1\nk: 0b_1\n", true},
	{"strings that look like numbers", "a: 1.2.3\nb: --port=8080\nc: -x\nd: 12:30\ne: 0b2\n", true},
	{"flow collections", "a: [1, \"two\", three, {k: v, 'q': [x]}]\nb: {}\nc: []\nd: {cpu: 200m, memory: 128Mi}\n", true},
	{"literal block scalars", "a: |\n  line 1\n\n    indented\n  last\nb: |-\n  no newline\nc: |\n\n  leading empty\nd: |\ne: x\n", true},
	{"folded block scalars", "a: >\n  one\n  two\n\n  three\nb: >-\n  x\n  y\n", true},
	{"block scalar in a sequence", "cmd:\n- sh\n- -c\n- |\n  echo hi\n  exit 0\n", true},
	{"block scalar with a comment inside", "a: |\n  # not a comment\n  x\n# a comment\nb: 1\n", true},
	{"unicode", "a: héllo wörld ✓\nb: \"日本\"\n", true},
	{"kubernetes manifest", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        args: [\"--port=8080\"]\n", true},
	{"key with colon inside", "a:b: c\nhttp://x: y\n", true},

	{"anchors and aliases", "a: &x {b: 1}\nc: *x\n", false},
	{"merge key", "a: {b: 1}\n<<: {c: 2}\n", false},
	{"tags", "a: !!str 1\n", false},
	{"multi-line plain scalar", "a: one\n  two\n", false},
	{"scalar on the next line", "a:\n  one\n", false},
	{"keep chomping", "a: |+\n  x\n\n", false},
	{"indentation indicator", "a: |2\n   x\n", false},
	{"more indented folded line", "a: >\n  x\n    y\n  z\n", false},
	{"duplicate keys", "a: 1\na: 2\n", false},
	{"boolean key", "on: push\n", false},
	{"numeric key", "80: http\n", false},
	{"tabs", "a:\tb\n", false},
	{"CRLF", "a: b\r\n", false},
	{"unicode escapes", "a: \"\\u00e9\"\n", false},
	{"an escaped slash, which YAML 1.1 does not have", "a: \"\\/\"\n", false},
	{"multi-line quoted scalar", "a: \"one\n  two\"\n", false},
	{"infinity", "a: .inf\n", false},
	{"a sequence document", "- a\n- b\n", false},
	{"a scalar document", "hello\n", false},
	{"complex key", "? a\n: b\n", false},
	{"flow mapping with an empty value", "a: {b: }\n", false},
	{"template left unrendered", "a: {{ .Values.x }}\n", false},
	{"bad indentation", "a:\n  b: 1\n c: 2\n", false},
	{"a line of spaces in a block scalar", "a: |\n  x\n   \n  y\n", false},
}

func TestFastYAML(t *testing.T) {
	for _, tc := range fastCases {
		t.Run(tc.name, func(t *testing.T) {
			js, _, ok := fastYAML([]byte(tc.yaml))
			if ok != tc.fast {
				t.Fatalf("fast path taken: %v, want %v (output %s)", ok, tc.fast, js)
			}
			if ok {
				sameAsSigsYAML(t, []byte(tc.yaml), js)
				sameIndexAsYAML3(t, []byte(tc.yaml))
			}
		})
	}
}

func TestFastYAMLReadsGeneratedManifests(t *testing.T) {
	n := 0
	err := splitDocuments(bytes.NewReader(genManifests(200)), func(d document) error {
		js, tm, ok := fastYAML(d.data)
		if !ok {
			t.Errorf("fast path not taken for\n%s", d.data)
			return nil
		}
		sameAsSigsYAML(t, d.data, js)
		sameIndexAsYAML3(t, d.data)
		if tm != nil {
			var want typeMeta
			_ = readTypeMeta(js, &want)
			if tm.APIVersion != want.APIVersion || tm.Kind != want.Kind {
				t.Errorf("type %+v, JSON says %+v", tm, want)
			}
		}
		n++
		return nil
	})
	if err != nil || n == 0 {
		t.Fatal(err, n)
	}
}

// sameAsSigsYAML fails when js does not decode to what sigs.k8s.io/yaml makes of y.
func sameAsSigsYAML(t *testing.T, y, js []byte) {
	t.Helper()
	want, err := sigsyaml.YAMLToJSON(y)
	if err != nil {
		t.Fatalf("fast path accepted what sigs.k8s.io/yaml rejects (%v):\n%q\nfast: %s", err, y, js)
	}
	if !reflect.DeepEqual(decodeAny(t, js), decodeAny(t, want)) {
		t.Fatalf("for\n%q\nfast path:       %s\nsigs.k8s.io/yaml: %s", y, js, want)
	}
}

func decodeAny(t *testing.T, js []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(js))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("invalid JSON %s: %v", js, err)
	}
	return v
}

// FuzzYAMLToJSON: whenever the fast path reads a document, its JSON means exactly
// what sigs.k8s.io/yaml's means, and its type is the JSON's.
func FuzzYAMLToJSON(f *testing.F) {
	for _, tc := range fastCases {
		f.Add([]byte(tc.yaml))
	}
	seedManifests(f, func(b []byte) {
		_ = splitDocuments(bytes.NewReader(b), func(d document) error { f.Add(d.data); return nil })
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		js, tm, ok := fastYAML(data)
		if !ok {
			return
		}
		sameAsSigsYAML(t, data, js)
		sameIndexAsYAML3(t, data)
		if tm != nil {
			var want typeMeta
			if err := readTypeMeta(js, &want); err != nil || tm.APIVersion != want.APIVersion || tm.Kind != want.Kind {
				t.Fatalf("type %+v, JSON says %+v (%v)", tm, want, err)
			}
		}
	})
}

// sameIndexAsYAML3 fails when the fast path's line index resolves some path of the
// document to another line than the index built from go.yaml.in/yaml/v3's nodes.
func sameIndexAsYAML3(t *testing.T, y []byte) {
	t.Helper()
	fast, ok := fastIndex(y)
	if js, _, _ := fastYAML(y); !ok && string(js) == "null" {
		return // an empty document has no index
	}
	if !ok {
		t.Fatalf("fastYAML reads the document but fastIndex does not:\n%q", y)
	}
	var root yaml3.Node
	if err := yaml3.Unmarshal(y, &root); err != nil {
		t.Fatalf("yaml.v3 rejects what the fast path reads (%v):\n%q", err, y)
	}
	want := buildIndex(&root)
	for _, segs := range indexPaths(want, 0, nil, 0) {
		for _, p := range [][]string{segs, append(slices.Clone(segs), "missing"), append(slices.Clone(segs), "[0]")} {
			if g, w := fast.lookup(p), want.lookup(p); g != w {
				t.Fatalf("lookup(%q) = %d, yaml.v3 says %d, for\n%q", p, g, w, y)
			}
			if g, w := fast.lookupLoose(p), want.lookupLoose(p); g != w {
				t.Fatalf("lookupLoose(%q) = %d, yaml.v3 says %d, for\n%q", p, g, w, y)
			}
		}
	}
}

// indexPaths lists the path of every node of an index, as segments.
func indexPaths(ix *lineIndex, n int32, prefix []string, depth int) [][]string {
	out := [][]string{slices.Clone(prefix)}
	if ix == nil || len(ix.nodes) == 0 || depth > 20 {
		return out
	}
	node := ix.nodes[n]
	for i := range ix.kids(n) {
		c := node.first + int32(i)
		if ix.nodes[c].kind() == kindNone {
			continue
		}
		seg := ix.key(&ix.nodes[c])
		if node.kind() == kindSequence {
			seg = "[" + strconv.Itoa(i) + "]"
		} else if strings.ContainsAny(seg, ".[]") || seg == "" {
			seg = "[" + seg + "]"
		}
		out = append(out, indexPaths(ix, c, append(prefix, seg), depth+1)...)
	}
	return out
}

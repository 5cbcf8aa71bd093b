package inventory

import (
	"fmt"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/engine"
)

const linesHelpers = `{{- define "t.labels" -}}
app: web
tier: front
{{- end }}
{{- define "t.container" -}}
- name: sidecar
  image: busybox
{{- end }}
`

// renderOne renders one template of a chart with Helm's engine, beside linesHelpers.
func renderOne(t *testing.T, tpl string, values map[string]any) string {
	t.Helper()
	ch := &chartv2.Chart{
		Metadata: &chartv2.Metadata{APIVersion: "v2", Name: "t", Version: "0.1.0"},
		Templates: []*common.File{
			{Name: "templates/t.yaml", Data: []byte(tpl)},
			{Name: "templates/_helpers.tpl", Data: []byte(linesHelpers)},
		},
		Values: values,
	}
	vals, err := util.ToRenderValuesWithSchemaValidation(ch, nil, common.ReleaseOptions{Name: "t", Namespace: "default"}, common.DefaultCapabilities.Copy(), false)
	if err != nil {
		t.Fatal(err)
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	return out["t/templates/t.yaml"]
}

// Each rendered line is given the template line that wrote it, or 0 when template
// code wrote it or when two template lines could have. Lines are named by their
// rendered text; want maps each to its template line.
func TestTemplateLines(t *testing.T) {
	tests := []struct {
		name   string
		tpl    string
		values map[string]any
		want   map[string]int32
	}{
		{
			name:   "literal lines and a value after a key",
			tpl:    "apiVersion: v1\nkind: Pod\nspec:\n  hostNetwork: {{ .Values.host }}\n",
			values: map[string]any{"host": true},
			want:   map[string]int32{"apiVersion: v1": 1, "kind: Pod": 2, "spec:": 3, "  hostNetwork: true": 4},
		},
		{
			name:   "the branch an if takes, and the else it does not",
			tpl:    "spec:\n{{- if .Values.on }}\n  hostPID: true\n{{- else }}\n  hostIPC: true\n{{- end }}\n  dnsPolicy: None\n",
			values: map[string]any{"on": false},
			want:   map[string]int32{"spec:": 1, "  hostIPC: true": 5, "  dnsPolicy: None": 7},
		},
		{
			name:   "a range body gives every item its template lines",
			tpl:    "ports:\n{{- range .Values.ports }}\n- name: p{{ . }}\n  port: {{ . }}\n{{- end }}\n",
			values: map[string]any{"ports": []any{80, 443}},
			want:   map[string]int32{"ports:": 1, "- name: p80": 3, "  port: 80": 4, "- name: p443": 3, "  port: 443": 4},
		},
		{
			name:   "include and toYaml write lines no template line wrote",
			tpl:    "metadata:\n  labels:\n    {{- include \"t.labels\" . | nindent 4 }}\nspec:\n  securityContext:\n    {{- toYaml .Values.sc | nindent 4 }}\n  containers:\n  {{- include \"t.container\" . | nindent 2 }}\n",
			values: map[string]any{"sc": map[string]any{"runAsUser": 0}},
			want: map[string]int32{
				"metadata:": 1, "  labels:": 2, "    app: web": 0, "    tier: front": 0, "spec:": 4,
				"  securityContext:": 5, "    runAsUser: 0": 0, "  containers:": 7, "  - name: sidecar": 0, "    image: busybox": 0,
			},
		},
		{
			name:   "a value that renders the same text as the literal line after it",
			tpl:    "{{ .Values.a }}\nkey: v\n",
			values: map[string]any{"a": "key: w"},
			want:   map[string]int32{"key: w": 0, "key: v": 2},
		},
		{
			name:   "an optional literal line and a value that could each have written it",
			tpl:    "{{ if .Values.on }}key: v\n{{ end }}{{ .Values.b | indent 0 }}",
			values: map[string]any{"on": true, "b": ""},
			want:   map[string]int32{"key: v": 0},
		},
		{
			name:   "a value from values.yaml with a newline may have written the lines after it",
			tpl:    "ports:\n{{- range .Values.ports }}\n- name: {{ . }}\n{{- end }}\n",
			values: map[string]any{"ports": []any{"a", "b\n- name: c"}},
			want:   map[string]int32{"ports:": 1, "- name: a": 3, "- name: b": 0, "- name: c": 0},
		},
		{
			name:   "a value piped through a function that keeps it on one line",
			tpl:    "items:\n{{- range $i, $p := .Values.ports }}\n- name: {{ $p | default \"x\" | quote }}\n  index: {{ $i }}\n{{- end }}\n",
			values: map[string]any{"ports": []any{"a", "b"}},
			want:   map[string]int32{"items:": 1, "- name: \"a\"": 3, "  index: 0": 4, "- name: \"b\"": 3, "  index: 1": 4},
		},
		{
			name:   "a dash from one line and a key from another",
			tpl:    "items:\n- {{ if true }}\n  {{- end }}name: a\n",
			values: nil,
			want:   map[string]int32{"items:": 1, "- name: a": 0},
		},
		{
			name:   "a document joined to its separator by trim markers",
			tpl:    "a: 1\n---\n{{- if true -}}\n# note\nkind: ServiceAccount\n{{- end }}\n---{{ if true }}\nkind: Role\n{{- end }}\n",
			values: nil,
			want:   map[string]int32{"a: 1": 1, "---# note": 4, "kind: ServiceAccount": 5, "---": 0, "kind: Role": 8},
		},
		{
			name:   "literal text that holds <no value>, which Helm deletes",
			tpl:    "a: <no value>x{{ \"\" }}\nb: 1\n",
			values: nil,
			want:   map[string]int32{"a: x": 0, "b: 1": 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := renderOne(t, tt.tpl, tt.values)
			budget := lineBudget
			lines := templateLines("t/templates/t.yaml", tt.tpl, out, tt.values, &budget)
			if lines == nil {
				t.Fatalf("no mapping for\n%s", out)
			}
			seen := 0
			for i, l := range strings.Split(out, "\n") {
				want, ok := tt.want[l]
				if !ok {
					continue
				}
				seen++
				if lines[i] != want {
					t.Errorf("rendered line %d %q: template line %d, want %d\nrendered:\n%s", i+1, l, lines[i], want, out)
				}
			}
			if seen < len(tt.want) {
				t.Errorf("only %d of the %d lines named were rendered:\n%s", seen, len(tt.want), out)
			}
		})
	}
}

// A rendered text the template cannot have written maps nothing, and a spent
// budget maps nothing: no line is better than a wrong one.
func TestTemplateLinesGivesUp(t *testing.T) {
	budget := lineBudget
	if got := templateLines("x", "a: 1\n", "b: 2\n", nil, &budget); got != nil {
		t.Errorf("text the template cannot write mapped to %v", got)
	}
	budget = 3
	if got := templateLines("x", "a: {{ .x }}\nb: 1\n", "a: 1\nb: 1\n", nil, &budget); got != nil {
		t.Errorf("mapped past the budget: %v", got)
	}
	budget = lineBudget
	if got := templateLines("x", "a: {{ .x ", "a: 1\n", nil, &budget); got != nil {
		t.Errorf("a template that does not parse mapped to %v", got)
	}
}

// BenchmarkTemplateLines maps a template whose range renders 2,000 containers of
// eight lines, with a toYaml block and one-line values in each.
func BenchmarkTemplateLines(b *testing.B) {
	tpl := "spec:\n  containers:\n{{- range .Values.c }}\n  - name: {{ .name }}\n    image: {{ .image | quote }}\n    securityContext:\n      {{- toYaml .sc | nindent 6 }}\n    ports:\n    - containerPort: 80\n{{- end }}\n"
	var items []any
	for i := range 2000 {
		items = append(items, map[string]any{"name": fmt.Sprint("c", i), "image": "nginx:1.27", "sc": map[string]any{"privileged": i%2 == 0, "runAsUser": 1000}})
	}
	values := map[string]any{"c": items}
	t := &testing.T{}
	out := renderOne(t, tpl, values)
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		budget := lineBudget
		if templateLines("t/templates/t.yaml", tpl, out, values, &budget) == nil {
			b.Fatal("no mapping")
		}
	}
}

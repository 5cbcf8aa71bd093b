package inventory

import (
	"strings"
	"testing"
)

// FuzzTemplateLines maps rendered text back to a template that a chart author wrote:
// both are untrusted. The mapping must not panic, must stay within its budget, and
// every line it gives must be a line of the template.
func FuzzTemplateLines(f *testing.F) {
	f.Add("apiVersion: v1\nkind: Pod\nspec:\n  hostNetwork: {{ .Values.host }}\n", "apiVersion: v1\nkind: Pod\nspec:\n  hostNetwork: true\n")
	f.Add("{{- if .Values.a }}\na: 1\n{{- else }}\nb: 2\n{{- end }}\n", "\nb: 2\n")
	f.Add("items:\n{{- range .Values.xs }}\n- {{ . }}\n{{- end }}\n", "items:\n- 1\n- 2\n")
	f.Add("x:\n  {{- toYaml .Values.m | nindent 2 }}\n", "x:\n  a: 1\n  b: 2\n")
	f.Add("{{ define \"x\" }}a{{ end }}{{ include \"x\" . }}", "a")
	f.Fuzz(func(t *testing.T, src, rendered string) {
		budget := 200000
		lines := templateLines("t.yaml", src, rendered, nil, &budget)
		if lines == nil {
			return
		}
		if n := strings.Count(rendered, "\n") + 1; len(lines) > n {
			t.Fatalf("%d lines mapped for %d rendered lines", len(lines), n)
		}
		max := int32(strings.Count(src, "\n") + 1)
		for i, l := range lines {
			if l < 0 || l > max {
				t.Fatalf("rendered line %d mapped to template line %d of %d", i+1, l, max)
			}
		}
	})
}

package detect

import (
	"strings"
	"testing"
)

// FuzzRuleText feeds arbitrary rule files to the YAML reader, and arbitrary conditions and
// output templates to the macro expansion and the template parser: errors are fine, panics
// and runaway expansion are not.
func FuzzRuleText(f *testing.F) {
	f.Add("- list: l\n  items: [a, b]\n- macro: m\n  condition: x in l\n", `m && "l" + r"\" + l`, "{username} {x")
	f.Add("- id: a/b\n  title: t\n  condition: 'true'\n", `'''m''' + m`, "{verb}d {object}")
	f.Add("[", `l[0].m`, "}{")
	f.Fuzz(func(t *testing.T, file, cond, out string) {
		entries, _ := parse([]byte(file), "fuzz.yaml")
		s := &Set{Lists: map[string][]string{"l": {"a", `b"c`}}, Macros: map[string]string{"m": "x in l", "n": "m || m"}}
		for _, e := range entries {
			if e.List != "" && isIdent(e.List) {
				s.Lists[e.List] = e.Items
			}
		}
		x, err := expand(cond, s)
		if err == nil && len(x) > 64*len(cond)+1024 {
			t.Fatalf("expansion of %d bytes gave %d", len(cond), len(x))
		}
		parts, err := parseOutput(out, nil)
		if err == nil {
			var b strings.Builder
			for _, p := range parts {
				if p.field == "" {
					b.WriteString(p.text)
				} else {
					b.WriteString("{" + p.field + "}")
				}
			}
			if b.String() != out {
				t.Fatalf("template %q read back as %q", out, b.String())
			}
		}
	})
}

package inventory_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	_ "github.com/moat-dev/moat/internal/catalog"
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/scan"
)

// scanFindings runs a full scan of paths, as moat scan does.
func scanFindings(t *testing.T, in scan.Input) (*scan.Loaded, []finding.Finding) {
	t.Helper()
	loaded, err := scan.Load(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Errors) > 0 {
		t.Fatalf("errors: %v", loaded.Errors)
	}
	return loaded, scan.NewEvaluator(scan.Options{}).Evaluate(context.Background(), loaded.Inventory).Findings
}

// Every finding of a chart names the template line where its field's key is written,
// or says the line is not known: never another line. The chart has if/else, range,
// with, include of a _helpers.tpl define, toYaml and nindent. The finding's field is
// looked up in the object itself (the deepest part of its path the object holds), and
// its key must be on the reported line of the template.
func TestChartFindingLinesAreTemplateLines(t *testing.T) {
	const chart = "testdata/charts/lines"
	loaded, findings := scanFindings(t, scan.Input{Paths: []string{chart}})
	objects := map[finding.Resource]*inventory.Object{}
	for _, o := range loaded.Objects {
		objects[o.Ref()] = o
	}
	known, unknown := 0, 0
	var report []string
	for _, f := range findings {
		if f.Source == nil || f.Source.Origin != "helm:lines" {
			continue
		}
		where := fmt.Sprintf("%s %s %s", f.RuleID, f.Resource, f.Path)
		report = append(report, fmt.Sprintf("%s: line %d %s", where, f.Source.Line, f.Source.LineUnknown))
		if f.Source.Line == 0 {
			if f.Source.LineUnknown == "" {
				t.Errorf("%s: no line and no reason", where)
			}
			unknown++
			continue
		}
		known++
		o := objects[f.Resource]
		if o == nil {
			t.Fatalf("%s: no object", where)
		}
		key := writtenKey(t, o, f.Path)
		line := templateLine(t, f.Source.File, f.Source.Line)
		if !keyOnLine(line, key) {
			t.Errorf("%s: line %d of %s is %q, which does not write %q", where, f.Source.Line, f.Source.File, line, key)
		}
	}
	t.Logf("findings:\n%s", strings.Join(report, "\n"))
	// The chart's own lines write most fields; include and toYaml write some.
	if known < 8 || unknown < 2 {
		t.Errorf("%d findings with a line and %d without; the chart has at least 8 and 2", known, unknown)
	}
}

// writtenKey is the last part of path that the object holds: the key a line must write,
// or "-" for a sequence item, or "" for the object itself.
func writtenKey(t *testing.T, o *inventory.Object, path string) string {
	t.Helper()
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Obj)
	if err != nil {
		t.Fatal(err)
	}
	var cur any = content
	key := ""
	for _, seg := range splitFieldPath(path) {
		switch c := cur.(type) {
		case map[string]any:
			name := strings.Trim(seg, "[]")
			v, ok := c[name]
			if m, isMap := v.(map[string]any); !ok || isMap && len(m) == 0 {
				return key // an empty struct is Go's zero value, not something written
			}
			cur, key = v, name
		case []any:
			var i int
			if _, err := fmt.Sscanf(seg, "[%d]", &i); err != nil || i >= len(c) {
				return key
			}
			cur, key = c[i], "-"
		default:
			return key
		}
	}
	return key
}

// splitFieldPath splits "a.b[2].c[x.y]" into a, b, [2], c, [x.y].
func splitFieldPath(p string) []string {
	var out []string
	for p != "" {
		switch i := strings.IndexAny(p, ".["); {
		case i < 0:
			return append(out, p)
		case p[i] == '.':
			if i > 0 {
				out = append(out, p[:i])
			}
			p = p[i+1:]
		default:
			if i > 0 {
				out = append(out, p[:i])
			}
			j := strings.IndexByte(p[i:], ']')
			out = append(out, p[i:i+j+1])
			p = strings.TrimPrefix(p[i+j+1:], ".")
		}
	}
	return out
}

func templateLine(t *testing.T, file string, n int) string {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(file))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	if n < 1 || n > len(lines) {
		t.Fatalf("%s has no line %d", file, n)
	}
	return lines[n-1]
}

// keyOnLine reports whether a template line writes key: "key:" after its indentation
// and sequence dashes, or a dash for a sequence item; the object itself starts on any
// line.
func keyOnLine(line, key string) bool {
	s := strings.TrimLeft(line, " \t")
	switch key {
	case "":
		return true
	case "-":
		return strings.HasPrefix(s, "- ") || s == "-"
	}
	for strings.HasPrefix(s, "- ") {
		s = strings.TrimLeft(s[2:], " \t")
	}
	return strings.HasPrefix(s, key+":") || strings.HasPrefix(s, `"`+key+`":`)
}

// A plain manifest's findings keep the lines of the file: the same check on a file
// that no template rendered, whose every line is known.
func TestPlainManifestFindingLines(t *testing.T) {
	const file = "testdata/multi.yaml"
	loaded, findings := scanFindings(t, scan.Input{Paths: []string{file}})
	objects := map[finding.Resource]*inventory.Object{}
	for _, o := range loaded.Objects {
		objects[o.Ref()] = o
	}
	n := 0
	for _, f := range findings {
		if f.Source == nil {
			continue
		}
		where := fmt.Sprintf("%s %s %s", f.RuleID, f.Resource, f.Path)
		if f.Source.LineUnknown != "" {
			t.Errorf("%s: line unknown (%s) in a plain file", where, f.Source.LineUnknown)
		}
		if f.Source.Line == 0 {
			continue // a finding about the file as a whole (a namespace it lacks)
		}
		n++
		line := templateLine(t, f.Source.File, f.Source.Line)
		if key := writtenKey(t, objects[f.Resource], f.Path); !keyOnLine(line, key) {
			t.Errorf("%s: line %d is %q, which does not write %q", where, f.Source.Line, line, key)
		}
	}
	if n == 0 {
		t.Fatal("no findings with a line")
	}
}

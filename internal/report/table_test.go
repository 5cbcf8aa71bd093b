package report

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/moat-dev/moat/internal/finding"
)

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestTableGolden(t *testing.T) {
	golden(t, "report.table.txt", render(t, &Table{}, fixture()))
	golden(t, "report.table-color.txt", render(t, &Table{Color: true}, fixture()))
}

// Colour adds escape codes and nothing else; without it there are none.
func TestTableColor(t *testing.T) {
	plain := string(render(t, &Table{}, fixture()))
	color := string(render(t, &Table{Color: true}, fixture()))
	if strings.Contains(plain, "\x1b") {
		t.Error("escape codes without Color")
	}
	if !strings.Contains(color, "\x1b[1;35mCRITICAL") {
		t.Error("no colour for a critical finding with Color")
	}
	if got := ansi.ReplaceAllString(color, ""); got != plain {
		t.Errorf("coloured table differs from the plain one beyond escape codes:\n%s", got)
	}
}

func TestTableLayout(t *testing.T) {
	rep := fixture()
	out := string(render(t, &Table{}, rep))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		if n := utf8.RuneCountInString(l); n > DefaultWidth {
			t.Errorf("line %d is %d columns wide: %q", i+1, n, l)
		}
	}
	if !strings.HasPrefix(lines[0], "error: "+rep.Errors[0][:40]) {
		t.Errorf("the table does not open with the input error: %q", lines[0])
	}
	if !strings.HasPrefix(out[strings.Index(out, "\nwarning: ")+1:], "warning: ") {
		t.Error("no warning line")
	}
	// Each resource heading appears once, with its file; every finding is listed.
	if n := strings.Count(out, "\nDeployment/shop/cart  examples/shop/cart.yaml\n"); n != 1 {
		t.Errorf("heading of Deployment/shop/cart appears %d times, want once", n)
	}
	if n := strings.Count(out, "examples/shop/cart.yaml"); n != 1 {
		t.Errorf("file of Deployment/shop/cart shown %d times, want once", n)
	}
	for _, f := range rep.Findings {
		head := regexp.MustCompile(`(?m)^  ` + strings.ToUpper(f.Severity.String()) + ` +` + regexp.QuoteMeta(f.RuleID))
		if !head.MatchString(out) {
			t.Errorf("no line for %s %s", f.Severity, f.RuleID)
		}
		if f.Source != nil && f.Source.Line > 0 && !strings.Contains(out, f.RuleID+"  line "+strconv.Itoa(f.Source.Line)) {
			t.Errorf("%s: line %d not shown", f.RuleID, f.Source.Line)
		}
	}
	// A long message wraps under the rule, and no word is lost.
	for _, f := range rep.Findings {
		if utf8.RuneCountInString(f.Message) <= DefaultWidth-messageIndent {
			continue
		}
		// A long message wraps under the rule, and no word is lost.
		var msg []string
		for i, l := range lines {
			if strings.HasSuffix(l, f.RuleID+"  line "+strconv.Itoa(f.Source.Line)) {
				for _, m := range lines[i+1:] {
					if !strings.HasPrefix(m, strings.Repeat(" ", messageIndent)) {
						break
					}
					msg = append(msg, strings.TrimSpace(m))
				}
			}
		}
		if len(msg) < 2 || strings.Join(msg, " ") != f.Message {
			t.Errorf("message of %s not wrapped under its rule: %q", f.RuleID, msg)
		}
	}
	if !strings.Contains(out, "suppressed by annotation: node agent reads host metrics; reviewed by platform team") {
		t.Error("suppression reason missing")
	}
	last := lines[len(lines)-1]
	if last != "14 objects scanned: 5 findings (1 critical, 1 high, 2 medium, 1 low), 3 suppressed, 1 input error" {
		t.Errorf("summary line %q", last)
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		width int
		want  []string
	}{
		{"short text stays on one line", "a short message", 40, []string{"a short message"}},
		{"breaks at the last space that fits", "one two three four five six seven eight nine ten eleven", 20,
			[]string{"one two three four", "five six seven eight", "nine ten eleven"}},
		{"a word longer than a line is cut", "image " + strings.Repeat("x", 45), 20,
			[]string{"image", strings.Repeat("x", 20), strings.Repeat("x", 20), strings.Repeat("x", 5)}},
		{"line breaks are kept", "first line\nsecond line", 40, []string{"first line", "second line"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := wrap(tc.text, tc.width)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("wrap(%q, %d) = %q, want %q", tc.text, tc.width, got, tc.want)
			}
		})
	}
}

func TestTableNoFindings(t *testing.T) {
	out := string(render(t, &Table{}, &Report{Summary: finding.Summarize(3, nil, 0)}))
	if out != "3 objects scanned: no findings\n" {
		t.Errorf("table of a clean scan: %q", out)
	}
}

func TestTableSummary(t *testing.T) {
	sum := func(objects int, bySev map[finding.Severity]int, suppressed, errors int) finding.Summary {
		s := finding.Summary{Objects: objects, BySeverity: bySev, Suppressed: suppressed, Errors: errors}
		for _, n := range bySev {
			s.Findings += n
		}
		return s
	}
	for _, tc := range []struct {
		name  string
		s     finding.Summary
		width int
		want  string
	}{
		{"one object, one finding", sum(1, map[finding.Severity]int{finding.Low: 1}, 0, 0), 100,
			"1 object scanned: 1 finding (1 low)\n"},
		{"suppressed findings only", sum(2, nil, 2, 0), 100,
			"2 objects scanned: no findings, 2 suppressed\n"},
		{"input errors and nothing else", sum(0, nil, 0, 2), 100,
			"0 objects scanned: no findings, 2 input errors\n"},
		{"every severity, wrapped between parts", sum(1200, map[finding.Severity]int{
			finding.Critical: 12, finding.High: 300, finding.Medium: 410, finding.Low: 377, finding.Info: 18}, 41, 3), 80,
			"1200 objects scanned: 1117 findings (12 critical, 300 high, 410 medium, 377 low,\n  18 info), 41 suppressed, 3 input errors\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			(&Table{}).writeSummary(&b, tc.s, tc.width)
			if b.String() != tc.want {
				t.Errorf("got %q\nwant %q", b.String(), tc.want)
			}
		})
	}
}

// A heading too wide for one line puts the file, then the origin, on lines of their own.
func TestTableLongHeading(t *testing.T) {
	f := fixture().Findings[0]
	f.Resource = finding.Resource{APIVersion: "batch/v1", Kind: "CronJob", Namespace: "shop", Name: "postgres-backup"}
	f.Source = &finding.Source{File: "examples/shop/kustomize/base/postgres-backup.yaml", Line: 7,
		Origin: "kustomize:examples/shop/kustomize/overlays/production"}
	f.Suppressed = nil
	rep := &Report{Findings: []finding.Finding{f}, Summary: finding.Summarize(1, []finding.Finding{f}, 0)}
	out := string(render(t, &Table{}, rep))
	want := "CronJob/shop/postgres-backup  examples/shop/kustomize/base/postgres-backup.yaml\n" +
		"  (kustomize:examples/shop/kustomize/overlays/production)\n"
	if !strings.HasPrefix(out, want) {
		t.Errorf("heading:\n%s\nwant:\n%s", out, want)
	}
	out = string(render(t, &Table{Width: 60}, rep))
	want = "CronJob/shop/postgres-backup\n  examples/shop/kustomize/base/postgres-backup.yaml\n" +
		"  (kustomize:examples/shop/kustomize/overlays/production)\n"
	if !strings.HasPrefix(out, want) {
		t.Errorf("heading at 60 columns:\n%s\nwant:\n%s", out, want)
	}
}

// The table's groups are the old ones, names with NULs in them included: findings are
// grouped by resource and by File+"\x00"+Origin, without that string being made.
func TestTableGroupsByFileAndOrigin(t *testing.T) {
	src := func(file, origin string) *finding.Source { return &finding.Source{File: file, Origin: origin, Line: 3} }
	for _, tc := range []struct {
		name    string
		sources []*finding.Source
		want    int // groups
	}{
		{"one file", []*finding.Source{src("a.yaml", ""), src("a.yaml", "")}, 1},
		{"two files", []*finding.Source{src("a.yaml", ""), src("b.yaml", "")}, 2},
		{"same file, two origins", []*finding.Source{src("a.yaml", "helm:x"), src("a.yaml", "helm:y")}, 2},
		{"no source and an empty one", []*finding.Source{nil, src("", "")}, 2},
		{"no sources", []*finding.Source{nil, nil}, 1},
		{"a NUL that joins two pairs", []*finding.Source{src("a\x00b", ""), src("a", "b\x00")}, 1},
		{"a NUL that does not", []*finding.Source{src("a\x00b", ""), src("a", "b")}, 2},
		{"NULs on both sides", []*finding.Source{src("a\x00", "b"), src("a", "\x00b"), src("a\x00", "")}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fs []finding.Finding
			for i, s := range tc.sources {
				fs = append(fs, finding.Finding{RuleID: fmt.Sprint("pod/r", i), Resource: deployment("shop", "cart"), Source: s})
			}
			got, want := groupFindings(fs), groupFindingsLegacy(fs)
			if len(got) != tc.want || len(want) != tc.want {
				t.Fatalf("%d groups, the old grouping %d, want %d", len(got), len(want), tc.want)
			}
			for i := range got {
				if len(got[i].idx) != len(want[i].findings) {
					t.Errorf("group %d has %d findings, the old one %d", i, len(got[i].idx), len(want[i].findings))
				}
			}
		})
	}
}

package report

import (
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
		if f.Source != nil && f.Source.Line > 0 && !strings.Contains(out, f.RuleID+"  line "+itoa(f.Source.Line)) {
			t.Errorf("%s: line %d not shown", f.RuleID, f.Source.Line)
		}
	}
	// A long message wraps under the rule, and no word is lost.
	if !strings.Contains(out, "\n            container \"app\" does not set securityContext.runAsNonRoot=true and neither does the\n            pod,") {
		t.Errorf("long message not wrapped at the message column:\n%s", out)
	}
	if !strings.Contains(out, "suppressed by annotation: node agent reads host metrics; reviewed by platform team") {
		t.Error("suppression reason missing")
	}
	last := lines[len(lines)-1]
	if last != "14 objects scanned: 5 findings (1 critical, 1 high, 2 medium, 1 low, 0 info), 3 suppressed, 1 input error" {
		t.Errorf("summary line %q", last)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

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
	if out != "3 objects scanned: 0 findings (0 critical, 0 high, 0 medium, 0 low, 0 info), 0 suppressed, 0 input errors\n" {
		t.Errorf("table of a clean scan: %q", out)
	}
}

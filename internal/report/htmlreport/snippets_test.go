package htmlreport

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/moat-dev/moat/internal/finding"
)

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func numbered(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

func TestReadLines(t *testing.T) {
	long := strings.Repeat("é", 300)     // 300 characters, 600 bytes
	huge := strings.Repeat("x", 200<<10) // longer than the reader's buffer
	for _, tc := range []struct {
		name    string
		content string
		want    []int
		lim     SnippetLimits
		expect  map[int]string
	}{
		{"the lines asked for", numbered(10), []int{2, 3, 9}, SnippetLimits{},
			map[int]string{2: "line 2", 3: "line 3", 9: "line 9"}},
		{"lines past the end are absent", numbered(3), []int{2, 3, 4, 5}, SnippetLimits{},
			map[int]string{2: "line 2", 3: "line 3"}},
		{"a last line without a newline", "a\nb", []int{1, 2}, SnippetLimits{},
			map[int]string{1: "a", 2: "b"}},
		{"CRLF line ends are dropped", "a\r\nb\r\n", []int{1, 2}, SnippetLimits{},
			map[int]string{1: "a", 2: "b"}},
		{"a long line is cut at 200 characters", long + "\nnext\n", []int{1, 2}, SnippetLimits{},
			map[int]string{1: strings.Repeat("é", 200) + "…", 2: "next"}},
		{"a line of exactly the limit is kept whole", strings.Repeat("a", 200) + "\n", []int{1}, SnippetLimits{},
			map[int]string{1: strings.Repeat("a", 200)}},
		{"a line longer than the buffer, then the next", huge + "\nafter\n", []int{1, 2}, SnippetLimits{},
			map[int]string{1: strings.Repeat("x", 200) + "…", 2: "after"}},
		{"bytes that are not UTF-8 are replaced", "a\xffb\n", []int{1}, SnippetLimits{},
			map[int]string{1: "a\uFFFDb"}},
		{"only the first FileBytes are read", numbered(100), []int{1, 2, 50}, SnippetLimits{FileBytes: 14},
			map[int]string{1: "line 1", 2: "line 2"}},
		{"a custom line limit", "abcdef\n", []int{1}, SnippetLimits{LineRunes: 3},
			map[int]string{1: "abc…"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "f.yaml", tc.content)
			got, err := readLines(p, tc.want, tc.lim.withDefaults())
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.expect) {
				t.Errorf("got %v\nwant %v", got, tc.expect)
			}
		})
	}
}

func TestReadLinesReadsOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, path string }{
		{"stdin", "-"},
		{"stdin as the inventory names it", "<stdin>"},
		{"no name", ""},
		{"a directory", dir},
		{"a missing file", filepath.Join(dir, "missing.yaml")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := readLines(tc.path, []int{1}, SnippetLimits{}.withDefaults()); err == nil {
				t.Errorf("read %q: got %v, want an error", tc.path, got)
			}
		})
	}
}

// findingsAt makes one finding at each line of file.
func findingsAt(file string, lines ...int) []finding.Finding {
	var fs []finding.Finding
	for _, l := range lines {
		fs = append(fs, finding.Finding{
			RuleID: "pod/x", Severity: finding.Medium, Message: fmt.Sprint("at ", l),
			Resource: finding.Resource{Kind: "Pod", Namespace: "ns", Name: fmt.Sprint("p", l)},
			Source:   &finding.Source{File: file, Line: l},
		})
	}
	return fs
}

func TestSnippetsCarryTheLinesAroundEachFinding(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "a.yaml", numbered(30))
	for _, tc := range []struct {
		name    string
		lines   []int
		lim     SnippetLimits
		want    []int // line numbers the page carries
		snippet []bool
		cut     int
	}{
		{"three lines either side", []int{10}, SnippetLimits{}, []int{7, 8, 9, 10, 11, 12, 13}, []bool{true}, 0},
		{"the window stops at the first line", []int{2}, SnippetLimits{}, []int{1, 2, 3, 4, 5}, []bool{true}, 0},
		{"the window stops at the last line", []int{29}, SnippetLimits{}, []int{26, 27, 28, 29, 30}, []bool{true}, 0},
		{"shared lines are stored once", []int{10, 12}, SnippetLimits{}, []int{7, 8, 9, 10, 11, 12, 13, 14, 15}, []bool{true, true}, 0},
		{"a line past the end has no snippet", []int{40}, SnippetLimits{}, nil, []bool{false}, 0},
		// "line N" is 6 or 7 bytes: the window of line 5 (2..8) is 42 bytes, so a budget of
		// 50 takes it and not the window of line 20.
		{"the budget keeps the first findings' snippets", []int{5, 20}, SnippetLimits{TotalBytes: 50}, []int{2, 3, 4, 5, 6, 7, 8}, []bool{true, false}, 1},
		{"a wider context", []int{10}, SnippetLimits{Context: 1}, []int{9, 10, 11}, []bool{true}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := findingsAt(file, tc.lines...)
			doc := buildDocument(Scan{Findings: fs}, tc.lim.withDefaults())
			var got []int
			for n := 1; n <= 40; n++ {
				if text, ok := doc.Files[0].Lines[n]; ok {
					got = append(got, n)
					if text != fmt.Sprint("line ", n) {
						t.Errorf("line %d is %q", n, text)
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("page carries lines %v, want %v", got, tc.want)
			}
			for i, row := range doc.Findings {
				if row.Snippet != tc.snippet[i] {
					t.Errorf("finding at line %d: snippet %v, want %v", tc.lines[i], row.Snippet, tc.snippet[i])
				}
			}
			if doc.SnippetsCut != tc.cut {
				t.Errorf("snippetsCut = %d, want %d", doc.SnippetsCut, tc.cut)
			}
		})
	}
}

func TestSnippetBudgetBoundsThePage(t *testing.T) {
	dir := t.TempDir()
	line := strings.Repeat("y", 500) // cut to 200 characters
	var lines []string
	for range 2000 {
		lines = append(lines, line)
	}
	file := writeFile(t, dir, "big.yaml", strings.Join(lines, "\n"))
	var at []int
	for l := 1; l <= 2000; l += 7 {
		at = append(at, l)
	}
	const budget = 20 << 10
	doc := buildDocument(Scan{Findings: findingsAt(file, at...)}, SnippetLimits{TotalBytes: budget}.withDefaults())
	total := 0
	for _, text := range doc.Files[0].Lines {
		total += len(text)
		if n := utf8.RuneCountInString(text); n > 201 {
			t.Errorf("a line of %d characters", n)
		}
	}
	if total > budget || total < budget-7*203 {
		t.Errorf("snippets hold %d bytes; want at most %d, and close to it", total, budget)
	}
	if doc.SnippetsCut == 0 || doc.SnippetsCut >= len(at) {
		t.Errorf("snippetsCut = %d of %d findings; want some cut, not all", doc.SnippetsCut, len(at))
	}
}

func FuzzScanLines(f *testing.F) {
	f.Add("a\nb\r\nc", 3)
	f.Add("\xff\xfe\n\n", 1)
	f.Add(strings.Repeat("é", 400), 5)
	f.Fuzz(func(t *testing.T, content string, maxRunes int) {
		maxRunes = 1 + abs(maxRunes)%300
		got, err := scanLines(strings.NewReader(content), []int{1, 2, 3, 4, 5}, maxRunes)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(content, "\n")
		for n, text := range got {
			if n > len(lines) {
				t.Fatalf("line %d of a %d-line input", n, len(lines))
			}
			if !utf8.ValidString(text) || utf8.RuneCountInString(text) > maxRunes+1 {
				t.Fatalf("line %d = %q: not valid or longer than %d characters", n, text, maxRunes)
			}
			whole := strings.ToValidUTF8(strings.TrimRight(lines[n-1], "\r"), "\uFFFD")
			if !strings.HasPrefix(whole, strings.TrimSuffix(text, "…")) {
				t.Fatalf("line %d = %q, not a prefix of %q", n, text, whole)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

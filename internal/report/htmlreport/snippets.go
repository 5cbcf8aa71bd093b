package htmlreport

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/moat-dev/moat/internal/finding"
)

// SnippetLimits bound the source lines a page carries around its findings. A zero field
// takes its default.
type SnippetLimits struct {
	// Context is the number of lines shown either side of a finding's line (3).
	Context int
	// LineRunes is the longest line kept, in characters; longer lines are cut and end
	// with "…" (200).
	LineRunes int
	// TotalBytes bounds the text of every snippet of a page together (2 MiB); findings
	// past it, in report order (most severe first), get no snippet.
	TotalBytes int
	// FileBytes is how much of one file is read (16 MiB): lines past it get no snippet.
	FileBytes int64
}

func (l SnippetLimits) withDefaults() SnippetLimits {
	if l.Context <= 0 {
		l.Context = 3
	}
	if l.LineRunes <= 0 {
		l.LineRunes = 200
	}
	if l.TotalBytes <= 0 {
		l.TotalBytes = 2 << 20
	}
	if l.FileBytes <= 0 {
		l.FileBytes = 16 << 20
	}
	return l
}

// window is the lines [from, to] around line, 1-based.
func (l SnippetLimits) window(line int) (from, to int) {
	return max(1, line-l.Context), line + l.Context
}

// notAFile are the names the inventory gives input that is not a file it can read again.
func notAFile(name string) bool {
	return name == "" || name == "-" || name == "<stdin>"
}

// readLines reads the lines of the file name whose numbers are in want (sorted,
// ascending), each cut to lim.LineRunes characters and made valid UTF-8. Only a regular
// file is read, and only its first lim.FileBytes bytes; lines past the end are absent.
func readLines(name string, want []int, lim SnippetLimits) (map[int]string, error) {
	if notAFile(name) || len(want) == 0 {
		return nil, errors.New("no file to read")
	}
	// Stat before opening: opening a FIFO blocks until it has a writer.
	before, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, errors.New(name + ": not a regular file")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// And after: what is read is the file that was checked.
	after, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !os.SameFile(before, after) {
		return nil, errors.New(name + ": changed while it was opened")
	}
	return scanLines(io.LimitReader(f, lim.FileBytes), want, lim.LineRunes)
}

// scanLines is readLines on a reader. A line longer than the reader's buffer is read in
// pieces and only its first maxRunes characters are kept, so memory stays bounded
// whatever the input.
func scanLines(r io.Reader, want []int, maxRunes int) (map[int]string, error) {
	out := make(map[int]string, len(want))
	br := bufio.NewReaderSize(r, 64<<10)
	keepBytes := maxRunes*utf8.UTFMax + 1 // enough bytes for maxRunes characters and one more
	var line []byte
	for n, next := 1, 0; next < len(want); n++ {
		line = line[:0]
		var err error
		for {
			var part []byte
			part, err = br.ReadSlice('\n')
			if room := keepBytes - len(line); room > 0 {
				line = append(line, part[:min(len(part), room)]...)
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				break
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if err != nil && len(line) == 0 {
			break // the end: no line n
		}
		if n == want[next] {
			out[n] = cutLine(line, maxRunes, len(line) == keepBytes)
			next++
		}
		if err != nil {
			break
		}
	}
	return out, nil
}

// cutLine is a line without its end-of-line, as valid UTF-8, cut to maxRunes characters
// and marked "…" where cut. truncated says b is only the start of its line.
func cutLine(b []byte, maxRunes int, truncated bool) string {
	if truncated {
		b = dropPartialRune(b)
	} else {
		b = bytes.TrimRight(b, "\r\n")
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if utf8.RuneCountInString(s) <= maxRunes {
		if truncated {
			return s + "…"
		}
		return s
	}
	n := 0
	for i := range s {
		if n == maxRunes {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// dropPartialRune drops the bytes of a character that b ends in the middle of.
func dropPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// snippetSet picks the source lines of a page: every file's lines around its findings,
// within the limits, each line stored once however many findings show it.
type snippetSet struct {
	lim   SnippetLimits
	files []fileRow
	index map[string]int // file name → place in files
	// lines read from each file, before the total budget is applied
	read []map[int]string
	used int // bytes of text kept
}

// fileRow is a file a finding names and the lines of it the page carries.
type fileRow struct {
	Path   string `json:"path"`
	Origin string `json:"origin,omitempty"`
	// Lines maps line numbers to their text.
	Lines map[int]string `json:"lines,omitempty"`
}

func newSnippetSet(lim SnippetLimits) *snippetSet {
	return &snippetSet{lim: lim, index: map[string]int{}}
}

// file returns the place of the file of src, adding it the first time; -1 for no source.
func (s *snippetSet) file(src *finding.Source) int {
	if src == nil || src.File == "" {
		return -1
	}
	i, ok := s.index[src.File]
	if !ok {
		i = len(s.files)
		s.index[src.File] = i
		s.files = append(s.files, fileRow{Path: src.File, Origin: src.Origin})
	}
	return i
}

// readAll reads, from each file, the lines around the lines given for it (wanted[i] are
// the finding lines of files[i]). A file that cannot be read keeps no lines.
func (s *snippetSet) readAll(wanted [][]int) {
	s.read = make([]map[int]string, len(s.files))
	for i, lines := range wanted {
		var want []int
		for _, l := range lines {
			from, to := s.lim.window(l)
			for n := from; n <= to; n++ {
				want = append(want, n)
			}
		}
		slices.Sort(want)
		want = slices.Compact(want)
		if got, err := readLines(s.files[i].Path, want, s.lim); err == nil {
			s.read[i] = got
		}
	}
}

// take adds the lines around line of file i to the page, unless they would pass the
// budget: it says whether the finding has its snippet, and if not, whether the budget
// is why (rather than a file or line that could not be read).
func (s *snippetSet) take(i, line int) (have, cut bool) {
	read := s.read[i]
	if _, ok := read[line]; !ok {
		return false, false
	}
	from, to := s.lim.window(line)
	cost := 0
	for n := from; n <= to; n++ {
		if t, ok := read[n]; ok {
			if _, have := s.files[i].Lines[n]; !have {
				cost += len(t)
			}
		}
	}
	if s.used+cost > s.lim.TotalBytes {
		return false, true
	}
	s.used += cost
	if s.files[i].Lines == nil {
		s.files[i].Lines = map[int]string{}
	}
	for n := from; n <= to; n++ {
		if t, ok := read[n]; ok {
			s.files[i].Lines[n] = t
		}
	}
	return true, false
}

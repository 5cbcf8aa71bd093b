package report

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The policy report is written as YAML by hand, in exactly the bytes that sigs.k8s.io/
// yaml gave (json.Marshal, then yaml.v2 reading the JSON and writing it again, keys
// sorted). That round trip was nine tenths of the report's time and memory on a large
// scan. yamlEmitter is the part of yaml.v2's emitter (emitterc.go, encode.go's stringv,
// resolve.go) that a document of block mappings, block sequences, strings, integers and
// booleans uses: the same indentation, the same choice of scalar style, the same
// folding of long lines at 80 columns, the same escapes. TestPolicyReportStreamMatchesYAML
// holds the two together on random text.

// yamlBestWidth is the column past which yaml.v2 folds a long scalar at a space.
const yamlBestWidth = 80

// yamlEmitter holds the emitter's state that decides breaks and spaces: the column
// (counted in characters, as yaml.v2 counts it), whether the last thing written was
// whitespace, and whether the line so far is indentation only.
type yamlEmitter struct {
	b          []byte
	column     int
	whitespace bool
	indention  bool
}

// reset starts a new document, as a new stream starts.
func (e *yamlEmitter) reset() {
	e.column, e.whitespace, e.indention = 0, true, true
}

// afterValue sets the state a mapping value or sequence item leaves: past the
// indentation, not after whitespace. What comes next starts a new line, so the exact
// column does not matter; 1 stands for any.
func (e *yamlEmitter) afterValue() {
	e.column, e.whitespace, e.indention = 1, false, false
}

func (e *yamlEmitter) put(c byte) {
	e.b = append(e.b, c)
	e.column++
}

func (e *yamlEmitter) putBreak() {
	e.b = append(e.b, '\n')
	e.column = 0
}

// write copies the character at s[i] and returns the index after it.
func (e *yamlEmitter) write(s string, i int) int {
	w := yamlWidth(s[i])
	e.b = append(e.b, s[i:i+w]...)
	e.column++
	return i + w
}

// writeBreak copies the line break at s[i].
func (e *yamlEmitter) writeBreak(s string, i int) int {
	if s[i] == '\n' {
		e.putBreak()
		return i + 1
	}
	i = e.write(s, i)
	e.column = 0
	return i
}

func (e *yamlEmitter) writeIndent(indent int) {
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.putBreak()
	}
	for e.column < indent {
		e.put(' ')
	}
	e.whitespace, e.indention = true, true
}

// indicator writes an ASCII indicator as yaml_emitter_write_indicator does.
func (e *yamlEmitter) indicator(s string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !e.whitespace {
		e.put(' ')
	}
	e.b = append(e.b, s...)
	e.column += len(s)
	e.whitespace = isWhitespace
	e.indention = e.indention && isIndention
}

// key starts a block mapping entry at indent: the key (always a plain ASCII word here)
// and its colon.
func (e *yamlEmitter) key(indent int, k string) {
	e.writeIndent(indent)
	e.b = append(e.b, k...)
	e.column += len(k)
	e.whitespace, e.indention = false, false
	e.indicator(":", false, false, false)
}

// item starts a block sequence item at indent.
func (e *yamlEmitter) item(indent int) {
	e.writeIndent(indent)
	e.indicator("-", true, false, true)
}

// plain writes a plain scalar that needs no analysis: an integer, a boolean, or an
// empty flow sequence's brackets.
func (e *yamlEmitter) plain(s string) {
	if !e.whitespace {
		e.put(' ')
	}
	e.b = append(e.b, s...)
	e.column += len(s)
	e.whitespace, e.indention = false, false
}

func (e *yamlEmitter) int(n int64) {
	if !e.whitespace {
		e.put(' ')
	}
	l := len(e.b)
	e.b = strconv.AppendInt(e.b, n, 10)
	e.column += len(e.b) - l
	e.whitespace, e.indention = false, false
}

func (e *yamlEmitter) bool(v bool) {
	if v {
		e.plain("true")
	} else {
		e.plain("false")
	}
}

// emptySeq writes an empty sequence as yaml.v2 does: a flow sequence.
func (e *yamlEmitter) emptySeq() {
	e.indicator("[", true, true, false)
	e.indicator("]", false, false, false)
}

// keyString writes a mapping entry whose value is a string, the mapping at indent.
func (e *yamlEmitter) keyString(indent int, k, v string) {
	e.key(indent, k)
	e.str(indent+2, v)
}

// str writes a string value whose continuation lines go at indent, in the style
// yaml.v2 chooses: literal when it holds a line feed, plain when read back plain it
// would still be this string, else double-quoted; then, as the emitter's analysis
// allows, single-quoted instead of plain, double-quoted instead of single-quoted or
// literal. Each byte of invalid UTF-8 is U+FFFD, as json.Marshal wrote it on the old way.
func (e *yamlEmitter) str(indent int, s string) {
	if e.asciiScalar(indent, s) {
		return
	}
	if !utf8.ValidString(s) {
		s = replaceInvalidUTF8(s)
	}
	a := analyzeYAMLScalar(s)
	var style byte // 'p'lain, 's'ingle, 'd'ouble, 'l'iteral
	switch {
	case strings.IndexByte(s, '\n') >= 0:
		style = 'l'
	case yamlPlainReadsAsString(s):
		style = 'p'
	default:
		style = 'd'
	}
	if style == 'p' && !a.blockPlainAllowed {
		style = 's'
	}
	if style == 's' && !a.singleQuotedAllowed {
		style = 'd'
	}
	if style == 'l' && !a.blockAllowed {
		style = 'd'
	}
	switch style {
	case 'p':
		e.plainScalar(indent, s)
	case 's':
		e.singleQuoted(indent, s)
	case 'd':
		e.doubleQuoted(indent, s)
	default:
		e.literal(indent, s)
	}
}

// asciiScalar writes the common case quickly: a string of printable ASCII, which
// yaml.v2 writes plain, or single-quoted when plain it would start with an indicator,
// hold ": " or " #", or start or end with a space; double-quoted only when plain it
// would read as something else (a number, a boolean), which it leaves to str. It
// reports whether s was such a string; it writes nothing otherwise.
func (e *yamlEmitter) asciiScalar(indent int, s string) bool {
	if !printableASCII(s) || !yamlPlainReadsAsString(s) {
		return false
	}
	if asciiPlainAllowed(s) {
		e.asciiPlain(indent, s)
	} else {
		e.asciiSingleQuoted(indent, s)
	}
	return true
}

// printableASCII reports a non-empty s of bytes 0x20 to 0x7e only, which yaml.v2's
// analysis finds neither special nor broken.
func printableASCII(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := load64(s, i)
		if (belowSpace(x)|equalTo(x, 0x7f)|x)&highBits != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// asciiPlainAllowed is the analysis's blockPlainAllowed for printable ASCII: no space at
// either end, and no block indicator — an indicator character first ("?", ":" and "-"
// only followed by a space or the end), "---" or "..." first, ": " or a final ":", or
// " #".
func asciiPlainAllowed(s string) bool {
	if s[0] == ' ' || s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		return false
	}
	switch s[0] {
	case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '?', ':', '-':
		if len(s) == 1 || s[1] == ' ' {
			return false
		}
	}
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	return !strings.Contains(s, ": ") && !strings.Contains(s, " #")
}

// asciiPlain is plainScalar for printable ASCII: words copied whole, and a long line
// folded at the first single space past the best width.
func (e *yamlEmitter) asciiPlain(indent int, v string) {
	if !e.whitespace {
		e.put(' ')
	}
	e.asciiFolded(indent, v, false)
	e.whitespace, e.indention = false, false
}

// asciiSingleQuoted is singleQuoted for printable ASCII.
func (e *yamlEmitter) asciiSingleQuoted(indent int, v string) {
	e.indicator("'", true, false, false)
	e.asciiFolded(indent, v, true)
	e.indicator("'", false, false, false)
	e.whitespace, e.indention = false, false
}

// asciiFolded writes the inside of a plain or single-quoted scalar of printable ASCII:
// at a space past the best width that follows a character other than a space and is
// followed by one, it breaks the line instead (the space is the break), except, quoted,
// at either end; quoted, a quote is doubled.
func (e *yamlEmitter) asciiFolded(indent int, v string, quoted bool) {
	for i := 0; i < len(v); {
		j := strings.IndexByte(v[i:], ' ')
		if j < 0 {
			j = len(v)
		} else {
			j += i
		}
		e.asciiRun(v[i:j], quoted)
		if j == len(v) {
			return
		}
		// v[j] is a space.
		afterSpace := j > 0 && v[j-1] == ' '
		beforeSpace := j+1 < len(v) && v[j+1] == ' '
		if !afterSpace && e.column > yamlBestWidth && !beforeSpace && (!quoted || (j > 0 && j < len(v)-1)) {
			e.putBreak()
			for e.column < indent {
				e.put(' ')
			}
		} else {
			e.put(' ')
		}
		i = j + 1
	}
}

// asciiRun copies a run of printable ASCII without spaces, a quote doubled when quoted.
func (e *yamlEmitter) asciiRun(w string, quoted bool) {
	e.column += len(w)
	if !quoted {
		e.b = append(e.b, w...)
		return
	}
	for {
		q := strings.IndexByte(w, '\'')
		if q < 0 {
			e.b = append(e.b, w...)
			return
		}
		e.b = append(e.b, w[:q+1]...)
		e.b = append(e.b, '\'')
		e.column++
		w = w[q+1:]
	}
}

// quotedDigits writes a positive integer as a string value: yaml.v2 double-quotes the
// digits, which plain would read as a number.
func (e *yamlEmitter) quotedDigits(n int64) {
	e.indicator(`"`, true, false, false)
	l := len(e.b)
	e.b = strconv.AppendInt(e.b, n, 10)
	e.column += len(e.b) - l
	e.indicator(`"`, false, false, false)
	e.whitespace, e.indention = false, false
}

type yamlScalarAnalysis struct {
	blockPlainAllowed, singleQuotedAllowed, blockAllowed bool
}

// analyzeYAMLScalar is yaml_emitter_analyze_scalar, less what flow context needs.
func analyzeYAMLScalar(v string) yamlScalarAnalysis {
	if len(v) == 0 {
		return yamlScalarAnalysis{blockPlainAllowed: true, singleQuotedAllowed: true}
	}
	var blockIndicators, lineBreaks, special, leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak, previousSpace, previousBreak bool
	if strings.HasPrefix(v, "---") || strings.HasPrefix(v, "...") {
		blockIndicators = true
	}
	precededByWhitespace := true
	for i, w := 0, 0; i < len(v); i += w {
		w = yamlWidth(v[i])
		followedByWhitespace := i+w >= len(v) || v[i+w] == ' ' || v[i+w] == '\t'
		c := v[i]
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				blockIndicators = true
			case '?', ':', '-':
				if followedByWhitespace {
					blockIndicators = true
				}
			}
		} else {
			switch c {
			case ':':
				if followedByWhitespace {
					blockIndicators = true
				}
			case '#':
				if precededByWhitespace {
					blockIndicators = true
				}
			}
		}
		if !yamlPrintable(v, i) {
			special = true
		}
		switch {
		case c == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i+w == len(v) {
				trailingSpace = true
			}
			if previousBreak {
				breakSpace = true
			}
			previousSpace, previousBreak = true, false
		case yamlIsBreak(v, i):
			lineBreaks = true
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(v) {
				trailingBreak = true
			}
			if previousSpace {
				spaceBreak = true
			}
			previousSpace, previousBreak = false, true
		default:
			previousSpace, previousBreak = false, false
		}
		precededByWhitespace = c == ' ' || c == '\t' || yamlIsBreakz(v, i)
	}
	a := yamlScalarAnalysis{blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.blockPlainAllowed = false
	}
	if trailingSpace {
		a.blockAllowed = false
	}
	if breakSpace {
		a.blockPlainAllowed, a.singleQuotedAllowed = false, false
	}
	if spaceBreak || special {
		a.blockPlainAllowed, a.singleQuotedAllowed, a.blockAllowed = false, false, false
	}
	if lineBreaks || blockIndicators {
		a.blockPlainAllowed = false
	}
	return a
}

func (e *yamlEmitter) plainScalar(indent int, v string) {
	if !e.whitespace {
		e.put(' ')
	}
	spaces, breaks := false, false
	for i := 0; i < len(v); {
		switch {
		case v[i] == ' ':
			if !spaces && e.column > yamlBestWidth && !(i+1 < len(v) && v[i+1] == ' ') {
				e.writeIndent(indent)
				i++
			} else {
				i = e.write(v, i)
			}
			spaces = true
		case yamlIsBreak(v, i):
			if !breaks && v[i] == '\n' {
				e.putBreak()
			}
			i = e.writeBreak(v, i)
			e.indention, breaks = true, true
		default:
			if breaks {
				e.writeIndent(indent)
			}
			i = e.write(v, i)
			e.indention, spaces, breaks = false, false, false
		}
	}
	e.whitespace, e.indention = false, false
}

func (e *yamlEmitter) singleQuoted(indent int, v string) {
	e.indicator("'", true, false, false)
	spaces, breaks := false, false
	for i := 0; i < len(v); {
		switch {
		case v[i] == ' ':
			if !spaces && e.column > yamlBestWidth && i > 0 && i < len(v)-1 && v[i+1] != ' ' {
				e.writeIndent(indent)
				i++
			} else {
				i = e.write(v, i)
			}
			spaces = true
		case yamlIsBreak(v, i):
			if !breaks && v[i] == '\n' {
				e.putBreak()
			}
			i = e.writeBreak(v, i)
			e.indention, breaks = true, true
		default:
			if breaks {
				e.writeIndent(indent)
			}
			if v[i] == '\'' {
				e.put('\'')
			}
			i = e.write(v, i)
			e.indention, spaces, breaks = false, false, false
		}
	}
	e.indicator("'", false, false, false)
	e.whitespace, e.indention = false, false
}

const upperHex = "0123456789ABCDEF"

func (e *yamlEmitter) doubleQuoted(indent int, v string) {
	e.indicator(`"`, true, false, false)
	// yaml.v2 tests for a byte order mark at the start of the value, not at each
	// character: a value that starts with one is escaped whole.
	bom := strings.HasPrefix(v, "\uFEFF")
	spaces := false
	for i := 0; i < len(v); {
		if bom || !yamlPrintable(v, i) || yamlIsBreak(v, i) || v[i] == '"' || v[i] == '\\' {
			r, w := utf8.DecodeRuneInString(v[i:])
			i += w
			e.put('\\')
			switch r {
			case 0x00:
				e.put('0')
			case 0x07:
				e.put('a')
			case 0x08:
				e.put('b')
			case 0x09:
				e.put('t')
			case 0x0a:
				e.put('n')
			case 0x0b:
				e.put('v')
			case 0x0c:
				e.put('f')
			case 0x0d:
				e.put('r')
			case 0x1b:
				e.put('e')
			case '"':
				e.put('"')
			case '\\':
				e.put('\\')
			case 0x85:
				e.put('N')
			case 0xa0:
				e.put('_')
			case 0x2028:
				e.put('L')
			case 0x2029:
				e.put('P')
			default:
				n := 8
				switch {
				case r <= 0xff:
					e.put('x')
					n = 2
				case r <= 0xffff:
					e.put('u')
					n = 4
				default:
					e.put('U')
				}
				for k := (n - 1) * 4; k >= 0; k -= 4 {
					e.put(upperHex[(r>>uint(k))&0xf])
				}
			}
			spaces = false
		} else if v[i] == ' ' {
			if !spaces && e.column > yamlBestWidth && i > 0 && i < len(v)-1 {
				e.writeIndent(indent)
				if v[i+1] == ' ' {
					e.put('\\')
				}
				i++
			} else {
				i = e.write(v, i)
			}
			spaces = true
		} else {
			i = e.write(v, i)
			spaces = false
		}
	}
	e.indicator(`"`, false, false, false)
	e.whitespace, e.indention = false, false
}

func (e *yamlEmitter) literal(indent int, v string) {
	e.indicator("|", true, false, false)
	// The block scalar hints: an indentation indicator when the text starts with a
	// space or break, and the chomping that keeps its final line breaks as they are.
	if v[0] == ' ' || yamlIsBreak(v, 0) {
		e.indicator("2", false, false, false) // best_indent
	}
	i := len(v) - 1
	for v[i]&0xC0 == 0x80 {
		i--
	}
	switch {
	case !yamlIsBreak(v, i):
		e.indicator("-", false, false, false)
	case i == 0:
		e.indicator("+", false, false, false)
	default:
		i--
		for v[i]&0xC0 == 0x80 {
			i--
		}
		if yamlIsBreak(v, i) {
			e.indicator("+", false, false, false)
		}
	}
	e.putBreak()
	e.indention, e.whitespace = true, true
	breaks := true
	for i := 0; i < len(v); {
		if yamlIsBreak(v, i) {
			i = e.writeBreak(v, i)
			e.indention, breaks = true, true
		} else {
			if breaks {
				e.writeIndent(indent)
			}
			i = e.write(v, i)
			e.indention, breaks = false, false
		}
	}
}

func yamlWidth(b byte) int {
	switch {
	case b&0x80 == 0:
		return 1
	case b&0xE0 == 0xC0:
		return 2
	case b&0xF0 == 0xE0:
		return 3
	case b&0xF8 == 0xF0:
		return 4
	}
	return 1 // not reached: the text is valid UTF-8
}

// yamlIsBreak: CR, LF, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR.
func yamlIsBreak(s string, i int) bool {
	switch s[i] {
	case '\r', '\n':
		return true
	case 0xC2:
		return i+1 < len(s) && s[i+1] == 0x85
	case 0xE2:
		return i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9)
	}
	return false
}

func yamlIsBreakz(s string, i int) bool { return s[i] == 0 || yamlIsBreak(s, i) }

// yamlPrintable is yaml.v2's is_printable: what it writes unescaped (line feed, printable
// ASCII, U+00A0 to U+D7FF, U+E000 to U+FFFD but the byte order mark).
func yamlPrintable(s string, i int) bool {
	c := s[i]
	if c < utf8.RuneSelf {
		return c == '\n' || (c >= 0x20 && c <= 0x7e)
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return (r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD && r != 0xFEFF)
}

// yamlPlainReadsAsString is yaml.v2's canUsePlain: the text, written plain, would be
// read back as this string and not as a null, boolean, number or timestamp (resolve),
// nor as a base-60 float.
func yamlPlainReadsAsString(s string) bool {
	if s == "" {
		return false
	}
	switch c := s[0]; {
	case c == '.':
		if yamlSpecialWord(s) {
			return false
		}
		_, err := strconv.ParseFloat(s, 64)
		return err != nil
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0:
		return !yamlSpecialWord(s)
	case c == '+' || c == '-' || (c >= '0' && c <= '9'):
		if yamlSpecialWord(s) || yamlTimestamp(s) {
			return false
		}
		plain := strings.ReplaceAll(s, "_", "")
		if integerCharacters(plain) { // else both fail, and their errors cost allocations
			if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
				return false
			}
			if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
				return false
			}
		}
		if yamlFloatSyntax(plain) {
			if _, err := strconv.ParseFloat(plain, 64); err == nil {
				return false
			}
		}
		if rest, ok := strings.CutPrefix(plain, "0b"); ok {
			if _, err := strconv.ParseInt(rest, 2, 64); err == nil {
				return false
			}
			if _, err := strconv.ParseUint(rest, 2, 64); err == nil {
				return false
			}
		} else if rest, ok := strings.CutPrefix(plain, "-0b"); ok {
			if _, err := strconv.ParseInt("-"+rest, 2, 64); err == nil {
				return false
			}
		}
		return !(strings.IndexByte(s, ':') >= 0 && yamlBase60Float.MatchString(s))
	}
	return true
}

// integerCharacters reports text made only of what strconv.ParseInt and ParseUint
// accept with base 0: signs, digits of base 16 or less, the prefix letters x, o and b,
// and underscores.
func integerCharacters(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case c == 'x', c == 'X', c == 'o', c == 'O', c == '_', c == '+', c == '-':
		default:
			return false
		}
	}
	return true
}

// yamlSpecialWord reports the words of yamlSpecial; none is longer than five bytes,
// so longer text needs no lookup.
func yamlSpecialWord(s string) bool { return len(s) <= 5 && yamlSpecial[s] }

// yamlFloatSyntax is yaml.v2's float syntax, ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$,
// matched by hand: a control number such as 5.2.1 is tested for it in every result.
func yamlFloatSyntax(s string) bool {
	i := 0
	sign := func() {
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	sign()
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		sign()
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// yamlSpecial are the words of yaml.v2's resolveMap that it reads as a null, boolean or
// special float. (Its merge key "<<" starts with a character resolve does not look up.)
var yamlSpecial = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range strings.Fields(`y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE off Off OFF
		~ null Null NULL .nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF`) {
		m[s] = true
	}
	return m
}()

var yamlBase60Float = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)

// yamlTimestamp is yaml.v2's parseTimestamp: does plain text read as a timestamp.
func yamlTimestamp(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c < '0' || c > '9' {
			break
		}
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, format := range [...]string{"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00", "2006-1-2 15:4:5.999999999", "2006-1-2"} {
		if _, err := time.Parse(format, s); err == nil {
			return true
		}
	}
	return false
}

// replaceInvalidUTF8 writes each byte that is not part of a UTF-8 character as U+FFFD,
// as encoding/json does.
func replaceInvalidUTF8(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

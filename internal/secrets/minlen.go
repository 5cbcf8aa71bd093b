package secrets

import (
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// minLength is the fewest bytes a text that re matches can have: a text shorter than
// the shortest match of a pattern is not searched for it. Most values are short
// ("true", "8080", "info") and most patterns are long tokens, so this one comparison
// skips most patterns for most texts. Every case errs on the short side, so the
// bound never skips a text the expression would match.
func minLength(expr string) int {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return 0
	}
	return minBytes(re.Simplify())
}

func minBytes(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			n += minRuneBytes(r, re.Flags&syntax.FoldCase != 0)
		}
		return n
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return 0 // matches nothing; 0 is still a lower bound
		}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= utf8.RuneError && utf8.RuneError <= re.Rune[i+1] {
				return 1 // U+FFFD also matches one invalid byte
			}
		}
		// The smallest rune of the class has the shortest encoding.
		return max(utf8.RuneLen(re.Rune[0]), 1)
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minBytes(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min * minBytes(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += minBytes(s)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, s := range re.Sub {
			if m := minBytes(s); n < 0 || m < n {
				n = m
			}
		}
		return max(n, 0)
	}
	// Empty matches, anchors, word boundaries, stars and quests match no byte.
	return 0
}

// minRuneBytes is the fewest bytes of r, or of a rune that folds to it. U+FFFD
// matches one invalid byte too.
func minRuneBytes(r rune, fold bool) int {
	n := utf8.RuneLen(r)
	if n < 0 || r == utf8.RuneError {
		n = 1
	}
	if fold {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if l := utf8.RuneLen(f); l > 0 && l < n {
				n = l
			}
		}
	}
	return n
}

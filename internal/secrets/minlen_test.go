package secrets

import (
	"regexp"
	"testing"
)

func TestMinLength(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want int
	}{
		{`abc`, 3},
		{`a{3}b{2,}`, 5},
		{`(?:ab)+`, 2},
		{`x*y?`, 0},
		{`a|bc`, 1},
		{`^\bfoo$`, 3},
		{`.`, 1},
		{`[0-9A-Za-z]{20}`, 20},
		{`é`, 2},
		{`[é-ê]x`, 3},
		{`(?i)k`, 1},        // the Kelvin sign folds to k, and k is one byte
		{`(?i)\x{212A}`, 1}, // the Kelvin sign matches k too
		{`(?i)ſ`, 1},        // the long s matches s
		{`(x)(?:y|)`, 1},
		{`[^a]`, 1},
	} {
		if got := minLength(tc.expr); got != tc.want {
			t.Errorf("minLength(%q) = %d, want %d", tc.expr, got, tc.want)
		}
	}
}

// No match of a pattern is shorter than the pattern's minLen, in the texts of the tests.
func TestMinLengthBoundsEveryMatch(t *testing.T) {
	var texts []string
	for _, tc := range detectCases {
		texts = append(texts, tc.value)
	}
	for _, ex := range catalogueExamples {
		texts = append(texts, ex.positive, ex.negative, "token: "+ex.positive+"\n")
	}
	matched := 0
	for _, text := range texts {
		matched += assertMinLengths(t, text)
	}
	if matched == 0 {
		t.Fatal("no pattern matched: the texts test nothing")
	}
}

func assertMinLengths(t *testing.T, text string) int {
	t.Helper()
	n := 0
	patterns := compiled().patterns
	for i := range patterns {
		p := &patterns[i]
		for _, loc := range p.re.FindAllStringIndex(text, -1) {
			n++
			if loc[1]-loc[0] < p.minLen {
				t.Fatalf("%s matches %q (%d bytes), shorter than its minLen %d", p.kind, text[loc[0]:loc[1]], loc[1]-loc[0], p.minLen)
			}
		}
	}
	return n
}

// FuzzMinLength holds every pattern's minLen to its matches in any text, and
// minLength to any expression.
func FuzzMinLength(f *testing.F) {
	for _, tc := range detectCases {
		f.Add(tc.value, `[a-z]+`)
	}
	f.Add("Kelvin \u212A and long \u017F", `(?i)ks`)
	f.Add("a\xffb", `a\x{FFFD}b`) // an invalid byte is read as U+FFFD, one byte long
	f.Add("a\xffb", `a[\x{FFF0}-\x{FFFF}]b`)
	f.Fuzz(func(t *testing.T, text, expr string) {
		assertMinLengths(t, text)
		re, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		min := minLength(expr)
		for _, loc := range re.FindAllStringIndex(text, 20) {
			if loc[1]-loc[0] < min {
				t.Fatalf("%q matches %q (%d bytes), shorter than minLength %d", expr, text[loc[0]:loc[1]], loc[1]-loc[0], min)
			}
		}
	})
}

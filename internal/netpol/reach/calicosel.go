package reach

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/labels"
)

// calicoSel is a parsed Calico selector expression (docs.tigera.io, "Selectors"):
//
//	all()  global()  has(k)  k == 'v'  k != 'v'  k in {'a','b'}  k not in {...}
//	k contains 's'  k starts with 's'  k ends with 's'  !e  e && e  e || e  ( e )
//
// Match operators bind tightest, then !, then &&, then ||. The empty selector is all().
type calicoSel interface {
	matches(l labels.Set) bool
	String() string
}

type selAll struct{}

func (selAll) matches(labels.Set) bool { return true }
func (selAll) String() string          { return "all()" }

// selGlobal is global(): non-namespaced resources; no pod.
type selGlobal struct{}

func (selGlobal) matches(labels.Set) bool { return false }
func (selGlobal) String() string          { return "global()" }

type selHas struct{ k string }

func (s selHas) matches(l labels.Set) bool { _, ok := l[s.k]; return ok }
func (s selHas) String() string            { return "has(" + s.k + ")" }

type selCmp struct {
	k, op string
	vals  []string
}

func (s selCmp) matches(l labels.Set) bool {
	v, ok := l[s.k]
	switch s.op {
	case "==":
		return ok && v == s.vals[0]
	case "!=":
		return !ok || v != s.vals[0]
	case "in":
		return ok && slices.Contains(s.vals, v)
	case "not in":
		return !ok || !slices.Contains(s.vals, v)
	case "contains":
		return ok && strings.Contains(v, s.vals[0])
	case "starts with":
		return ok && strings.HasPrefix(v, s.vals[0])
	case "ends with":
		return ok && strings.HasSuffix(v, s.vals[0])
	}
	return false
}

func (s selCmp) String() string {
	if s.op == "in" || s.op == "not in" {
		q := make([]string, len(s.vals))
		for i, v := range s.vals {
			q[i] = "'" + v + "'"
		}
		return fmt.Sprintf("%s %s {%s}", s.k, s.op, strings.Join(q, ", "))
	}
	return fmt.Sprintf("%s %s '%s'", s.k, s.op, s.vals[0])
}

type selNot struct{ e calicoSel }

func (s selNot) matches(l labels.Set) bool { return !s.e.matches(l) }
func (s selNot) String() string            { return "!" + paren(s.e) }

type selAnd struct{ a, b calicoSel }

func (s selAnd) matches(l labels.Set) bool { return s.a.matches(l) && s.b.matches(l) }
func (s selAnd) String() string            { return paren(s.a) + " && " + paren(s.b) }

type selOr struct{ a, b calicoSel }

func (s selOr) matches(l labels.Set) bool { return s.a.matches(l) || s.b.matches(l) }
func (s selOr) String() string            { return s.a.String() + " || " + s.b.String() }

func paren(e calicoSel) string {
	if _, ok := e.(selOr); ok {
		return "(" + e.String() + ")"
	}
	return e.String()
}

// parseCalicoSelector parses a selector; "" is all().
func parseCalicoSelector(s string) (calicoSel, error) {
	p := &selParser{s: s}
	p.skip()
	if p.i == len(p.s) {
		return selAll{}, nil
	}
	e, err := p.or()
	if err != nil {
		return nil, fmt.Errorf("selector %q: %w", s, err)
	}
	p.skip()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("selector %q: unexpected %q at %d", s, p.s[p.i:], p.i)
	}
	return e, nil
}

type selParser struct {
	s string
	i int
}

func (p *selParser) skip() {
	for p.i < len(p.s) && unicode.IsSpace(rune(p.s[p.i])) {
		p.i++
	}
}

// lit consumes tok (after spaces) when it is next.
func (p *selParser) lit(tok string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

// word consumes a keyword that is followed by a space or a delimiter.
func (p *selParser) word(w string) bool {
	p.skip()
	rest := p.s[p.i:]
	if !strings.HasPrefix(rest, w) {
		return false
	}
	if len(rest) > len(w) && isKeyChar(rest[len(w)]) {
		return false
	}
	p.i += len(w)
	return true
}

func (p *selParser) or() (calicoSel, error) {
	e, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.lit("||") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		e = selOr{e, r}
	}
	return e, nil
}

func (p *selParser) and() (calicoSel, error) {
	e, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.lit("&&") {
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		e = selAnd{e, r}
	}
	return e, nil
}

func (p *selParser) not() (calicoSel, error) {
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == '!' && !strings.HasPrefix(p.s[p.i:], "!=") {
		p.i++
		e, err := p.not()
		if err != nil {
			return nil, err
		}
		return selNot{e}, nil
	}
	return p.primary()
}

func isKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '-'
}

func (p *selParser) key() (string, error) {
	p.skip()
	start := p.i
	for p.i < len(p.s) && isKeyChar(p.s[p.i]) {
		p.i++
	}
	if p.i == start {
		if p.i == len(p.s) {
			return "", fmt.Errorf("unexpected end")
		}
		return "", fmt.Errorf("unexpected %q at %d", p.s[p.i:], p.i)
	}
	return p.s[start:p.i], nil
}

func (p *selParser) str() (string, error) {
	p.skip()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("want a quoted string at %d", p.i)
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unterminated string at %d", p.i)
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

func (p *selParser) set() ([]string, error) {
	if !p.lit("{") {
		return nil, fmt.Errorf("want { at %d", p.i)
	}
	var vals []string
	if p.lit("}") {
		return vals, nil
	}
	for {
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
		if p.lit("}") {
			return vals, nil
		}
		if !p.lit(",") {
			return nil, fmt.Errorf("want , or } at %d", p.i)
		}
	}
}

func (p *selParser) primary() (calicoSel, error) {
	if p.lit("(") {
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.lit(")") {
			return nil, fmt.Errorf("want ) at %d", p.i)
		}
		return e, nil
	}
	for _, fn := range []struct {
		name string
		sel  calicoSel
	}{{"all", selAll{}}, {"global", selGlobal{}}} {
		save := p.i
		if p.word(fn.name) && p.lit("(") && p.lit(")") {
			return fn.sel, nil
		}
		p.i = save
	}
	save := p.i
	if p.word("has") && p.lit("(") {
		k, err := p.key()
		if err != nil {
			return nil, err
		}
		if !p.lit(")") {
			return nil, fmt.Errorf("want ) at %d", p.i)
		}
		return selHas{k}, nil
	}
	p.i = save
	k, err := p.key()
	if err != nil {
		return nil, err
	}
	switch {
	case p.lit("=="):
		v, err := p.str()
		return selCmp{k, "==", []string{v}}, err
	case p.lit("!="):
		v, err := p.str()
		return selCmp{k, "!=", []string{v}}, err
	case p.word("in"):
		vs, err := p.set()
		return selCmp{k, "in", vs}, err
	case p.word("not"):
		if !p.word("in") {
			return nil, fmt.Errorf("want in after not at %d", p.i)
		}
		vs, err := p.set()
		return selCmp{k, "not in", vs}, err
	case p.word("contains"):
		v, err := p.str()
		return selCmp{k, "contains", []string{v}}, err
	case p.word("starts"):
		if !p.word("with") {
			return nil, fmt.Errorf("want with after starts at %d", p.i)
		}
		v, err := p.str()
		return selCmp{k, "starts with", []string{v}}, err
	case p.word("ends"):
		if !p.word("with") {
			return nil, fmt.Errorf("want with after ends at %d", p.i)
		}
		v, err := p.str()
		return selCmp{k, "ends with", []string{v}}, err
	}
	return nil, fmt.Errorf("want an operator after %q at %d", k, p.i)
}

// onlyAll reports a selector that matches everything whatever the labels.
func onlyAll(s calicoSel) bool {
	_, ok := s.(selAll)
	return ok
}

// asksOnly reports whether a selector asks only about labels for which keep is true.
func asksOnly(s calicoSel, keep func(string) bool) bool {
	switch e := s.(type) {
	case selAll, selGlobal:
		return true
	case selHas:
		return keep(e.k)
	case selCmp:
		return keep(e.k)
	case selNot:
		return asksOnly(e.e, keep)
	case selAnd:
		return asksOnly(e.a, keep) && asksOnly(e.b, keep)
	case selOr:
		return asksOnly(e.a, keep) && asksOnly(e.b, keep)
	}
	return false
}

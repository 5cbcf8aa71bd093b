package inventory

import (
	"bytes"
	"sort"
	"strings"
	"text/template/parse"
)

// A finding in a chart names the template file, so its line must be a line of that
// template, not of what the template rendered: conditionals, includes and toYaml
// blocks move every line below them. templateLines maps each rendered line back to
// the template line whose literal text wrote it, and to nothing when that cannot be
// told for sure. It never guesses.
//
// How. Helm executes a template's parse tree: literal text (a TextNode, already cut
// by {{- and -}}) is written as it stands, each action writes a string nobody can
// predict, an if or with writes one of its branches, a range writes its body any
// number of times or its else branch. That makes the tree a pattern that the
// rendered text must match: literal text as itself, every action, {{ template }} and
// range with break or continue as "any text" (a superset of what it could write),
// narrowed where that is sure: "any text on one line" for an action that prints a
// value without a newline, "lines indented N spaces" for one that ends in indent or
// nindent N (helm_lines_oneline.go). The
// pattern is compiled to an automaton over bytes and run over the rendered text once
// forward (which states can be active before each byte) and once backward (from which
// states the rest of the text can still be matched). A byte is attributed to a
// template position only when every way of matching the whole text reads it with
// literal text on the same template line; the true execution is one of those ways, so
// the attribution is the true one. A rendered line gets the template line of the
// bytes where its content starts — its key, and the dash of a sequence item before it
// (lineProbes) — and 0 when one of them may come from an action (include, toYaml,
// tpl, a value), when two lines could have written them, or when the text does not
// match at all.
//
// Limits. Helm deletes "<no value>" from the output after execution: literal text that
// holds it is treated as "any text"; the string formed across literal text and a
// value is not considered. A template that another file redefines with
// {{ define "chart/templates/x.yaml" }} is not mapped (see chartTemplateSources). The
// work is bounded (lineBudget): past it, lines are unknown, never wrong.

// lineUnknownReason is what a finding says when the template line of its field is not
// known.
const lineUnknownReason = "rendered by template code"

// lineBudget bounds the automaton steps spent mapping the lines of one chart: about a
// second of work (BenchmarkTemplateLines: 2.3 million steps, 71 ms, for a template
// that renders 280 KB). Templates left when it runs out have no line mapping.
const lineBudget = 30_000_000

// automaton state operations.
const (
	opByte    = iota // reads c, then goes to out
	opAny            // reads any byte, then goes to out
	opAnyLine        // reads any byte but a newline, then goes to out
	opSplit          // goes to out and to alt without reading
	opMatch          // the end of the template
)

type lineState struct {
	op       uint8
	c        byte
	out, alt int32
	line     int32 // opByte: the template line of the byte; 0 for a byte an action prints
}

// templateLines maps the lines of rendered, the output of the template src (named name),
// to lines of src: result[i] is the template line of rendered line i+1, or 0. It returns
// nil when src does not parse or the budget is spent; budget is decreased by the work done.
//
// values is the .Values the template saw, for oneLineActions; nil when the chart may
// change its values while rendering, and every action is then "any text".
func templateLines(name, src, rendered string, values any, budget *int) []int32 {
	tree := parse.New(name)
	tree.Mode = parse.SkipFuncCheck
	if _, err := tree.Parse(src, "", "", map[string]*parse.Tree{}); err != nil || tree.Root == nil {
		return nil
	}
	b := &lineBuilder{src: src, shapes: indentedActions(tree)}
	if values != nil {
		b.oneLine = oneLineActions(tree, values)
	}
	match := b.add(lineState{op: opMatch})
	start := b.list(tree.Root, match)
	m := &lineMatcher{states: b.states, text: rendered, budget: budget}
	return m.run(start, match)
}

// lineBuilder compiles a parse tree into states, from the end backwards: each node is
// compiled knowing the state that follows it.
type lineBuilder struct {
	src       string
	oneLine   map[*parse.ActionNode]bool        // actions that print no newline
	shapes    map[*parse.ActionNode]indentShape // actions that end in indent or nindent
	states    []lineState
	lineStart []int // offsets in src where lines start, for lineOf
}

func (b *lineBuilder) add(s lineState) int32 {
	b.states = append(b.states, s)
	return int32(len(b.states) - 1)
}

func (b *lineBuilder) list(l *parse.ListNode, next int32) int32 {
	if l == nil {
		return next
	}
	for i := len(l.Nodes) - 1; i >= 0; i-- {
		next = b.node(l.Nodes[i], next)
	}
	return next
}

func (b *lineBuilder) node(n parse.Node, next int32) int32 {
	switch n := n.(type) {
	case *parse.TextNode:
		if bytes.Contains(n.Text, []byte("<no value>")) {
			return b.any(next)
		}
		for i := len(n.Text) - 1; i >= 0; i-- {
			next = b.add(lineState{op: opByte, c: n.Text[i], out: next, line: b.lineOf(int(n.Pos) + i)})
		}
		return next
	case *parse.CommentNode:
		return next
	case *parse.ActionNode:
		if n.Pipe != nil && len(n.Pipe.Decl) > 0 {
			return next // {{ $x := ... }} and {{ $x = ... }} print nothing
		}
		if b.oneLine[n] {
			return b.anyOnLine(next)
		}
		if sh, ok := b.shapes[n]; ok {
			return b.indented(sh, next)
		}
		return b.any(next)
	case *parse.IfNode:
		return b.split(b.list(n.List, next), b.list(n.ElseList, next))
	case *parse.WithNode:
		return b.split(b.list(n.List, next), b.list(n.ElseList, next))
	case *parse.RangeNode:
		if breaks(n.List) {
			return b.any(next) // an iteration may stop anywhere in its body
		}
		loop := b.add(lineState{op: opSplit, alt: next})
		b.states[loop].out = b.list(n.List, loop)
		return b.split(loop, b.list(n.ElseList, next))
	}
	// {{ template }}, and whatever else a later Go may add: any text.
	return b.any(next)
}

func (b *lineBuilder) split(x, y int32) int32 {
	if x == y {
		return x
	}
	return b.add(lineState{op: opSplit, out: x, alt: y})
}

// any is "any text": a loop that reads any byte, or leaves.
func (b *lineBuilder) any(next int32) int32 {
	loop := b.add(lineState{op: opSplit, alt: next})
	b.states[loop].out = b.add(lineState{op: opAny, out: loop})
	return loop
}

// anyOnLine is "any text without a newline".
func (b *lineBuilder) anyOnLine(next int32) int32 {
	loop := b.add(lineState{op: opSplit, alt: next})
	b.states[loop].out = b.add(lineState{op: opAnyLine, out: loop})
	return loop
}

// indented is what `... | indent N` prints: lines that each start with N spaces; and
// `... | nindent N`, the same after a newline (sprig's indent and nindent).
func (b *lineBuilder) indented(sh indentShape, next int32) int32 {
	body := b.add(lineState{op: opSplit, alt: next}) // a line's text, then more or the end
	pad := body
	for i := 0; i < sh.spaces; i++ {
		pad = b.add(lineState{op: opByte, c: ' ', out: pad})
	}
	more := b.add(lineState{op: opSplit})
	b.states[more].out = b.add(lineState{op: opAnyLine, out: body})
	b.states[more].alt = b.add(lineState{op: opByte, c: '\n', out: pad})
	b.states[body].out = more
	if sh.newline {
		return b.add(lineState{op: opByte, c: '\n', out: pad})
	}
	return pad
}

func (b *lineBuilder) lineOf(off int) int32 {
	if b.lineStart == nil {
		b.lineStart = []int{0}
		for i := 0; i < len(b.src); i++ {
			if b.src[i] == '\n' {
				b.lineStart = append(b.lineStart, i+1)
			}
		}
	}
	return int32(sort.SearchInts(b.lineStart, off+1))
}

// breaks reports a {{ break }} or {{ continue }} of the range whose body is l.
func breaks(l *parse.ListNode) bool {
	if l == nil {
		return false
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.BreakNode, *parse.ContinueNode:
			return true
		case *parse.IfNode:
			if breaks(n.List) || breaks(n.ElseList) {
				return true
			}
		case *parse.WithNode:
			if breaks(n.List) || breaks(n.ElseList) {
				return true
			}
		}
	}
	return false
}

// lineMatcher runs the automaton over a rendered text.
type lineMatcher struct {
	states []lineState
	text   string
	budget *int

	mark []uint32 // visited marks, one generation per set built
	gen  uint32
}

// probe is a byte where a rendered line's content starts, and the reading states
// that may read it on a forward path.
type probe struct {
	line int // 0-based rendered line
	at   int // offset in text
	fwd  []int32
}

func (m *lineMatcher) run(start, match int32) []int32 {
	m.mark = make([]uint32, len(m.states))
	probes := lineProbes(m.text)
	if !m.forward(start, match, probes) {
		return nil
	}
	return m.backward(start, match, probes)
}

// lineProbes finds, on every rendered line, the bytes where what a finding points at
// starts: the first byte of the line's content, and, when that is a sequence item's
// dash, the dash and what follows it ("- name: x" has two). A Helm separator that
// starts the line ("---# comment", "---apiVersion: v1") is not content: the
// document starts after it. A line gets a template line only when all its probes
// agree.
func lineProbes(text string) []probe {
	var out []probe
	line := 0
	for off := 0; off <= len(text); {
		end := strings.IndexByte(text[off:], '\n')
		if end < 0 {
			end = len(text) - off
		}
		l := strings.TrimRight(text[off:off+end], "\r")
		i := 0
		if sep := helmSeparator.FindStringIndex(l); sep != nil {
			i = sep[1]
		}
		for {
			i += len(l[i:]) - len(strings.TrimLeft(l[i:], " \t"))
			if i >= len(l) {
				break
			}
			out = append(out, probe{line: line, at: off + i})
			if l[i] != '-' || i+1 < len(l) && l[i+1] != ' ' && l[i+1] != '\t' {
				break
			}
			i++ // a sequence item's dash: what follows it is probed too
		}
		off += end + 1
		line++
	}
	return out
}

func (m *lineMatcher) spend(n int) bool {
	*m.budget -= n
	return *m.budget >= 0
}

// closure adds to set the reading states and the match state reachable from s without
// reading, marking them with the current generation.
func (m *lineMatcher) closure(set []int32, s int32, stack []int32) ([]int32, []int32) {
	stack = append(stack[:0], s)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if m.mark[x] == m.gen {
			continue
		}
		m.mark[x] = m.gen
		if st := &m.states[x]; st.op == opSplit {
			stack = append(stack, st.alt, st.out)
		} else {
			set = append(set, x)
		}
	}
	return set, stack
}

func (m *lineMatcher) reads(s int32, c byte) bool {
	st := &m.states[s]
	return st.op == opAny || st.op == opByte && st.c == c || st.op == opAnyLine && c != '\n'
}

// forward keeps, at each probe, the states that may read its byte after a path from
// the start. It reports false when the text cannot match or the budget runs out.
func (m *lineMatcher) forward(start, match int32, probes []probe) bool {
	var cur, next, stack []int32
	m.gen++
	cur, stack = m.closure(cur, start, stack)
	p := 0
	for i := 0; i < len(m.text); i++ {
		c := m.text[i]
		if p < len(probes) && probes[p].at == i {
			for _, s := range cur {
				if m.reads(s, c) {
					probes[p].fwd = append(probes[p].fwd, s)
				}
			}
			p++
		}
		m.gen++
		next = next[:0]
		for _, s := range cur {
			if m.reads(s, c) {
				next, stack = m.closure(next, m.states[s].out, stack)
			}
		}
		if len(next) == 0 || !m.spend(len(cur)+len(next)) {
			return false
		}
		cur, next = next, cur
	}
	for _, s := range cur {
		if s == match {
			return true
		}
	}
	return false
}

// backward walks the text from its end, keeping the reading states from which the rest
// of the text matches, and settles each probe's line from the states on both sides.
func (m *lineMatcher) backward(start, match int32, probes []probe) []int32 {
	epsPred, readPred := m.predecessors()
	lines := make([]int32, strings.Count(m.text, "\n")+1)
	disagree := make([]bool, len(lines)) // a line whose probes name different lines, or none
	var live, reading, stack []int32
	m.gen++
	live, stack = m.reverseClosure(live[:0], []int32{match}, epsPred, stack)
	p := len(probes) - 1
	for i := len(m.text) - 1; i >= 0; i-- {
		c := m.text[i]
		m.gen++
		reading = reading[:0]
		for _, x := range live {
			for _, s := range readPred.of(x) {
				if m.mark[s] != m.gen && m.reads(s, c) {
					m.mark[s] = m.gen
					reading = append(reading, s)
				}
			}
		}
		if !m.spend(len(live) + len(reading)) {
			return nil
		}
		if p >= 0 && probes[p].at == i {
			l, got := probes[p].line, m.settle(probes[p].fwd)
			if got == 0 || lines[l] != 0 && lines[l] != got {
				disagree[l] = true
			}
			lines[l] = got
			p--
		}
		m.gen++
		live, stack = m.reverseClosure(live[:0], reading, epsPred, stack)
	}
	for _, s := range live {
		if s == start {
			for l := range lines {
				if disagree[l] {
					lines[l] = 0
				}
			}
			return lines
		}
	}
	return nil
}

// settle is the template line every matching path reads a probe's byte on, or 0. A
// state is on a matching path when it is reachable forward (fwd) and the rest of the
// text matches from it (marked in the current generation, set by backward).
func (m *lineMatcher) settle(fwd []int32) int32 {
	var line int32
	for _, s := range fwd {
		if m.mark[s] != m.gen {
			continue
		}
		st := &m.states[s]
		if st.op != opByte || st.line == 0 || line != 0 && st.line != line {
			return 0
		}
		line = st.line
	}
	return line
}

// reverseClosure adds to set every state from which one of from is reached without
// reading, and from itself.
func (m *lineMatcher) reverseClosure(set, from []int32, epsPred preds, stack []int32) ([]int32, []int32) {
	stack = append(stack[:0], from...)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if m.mark[x] == m.gen {
			continue
		}
		m.mark[x] = m.gen
		set = append(set, x)
		stack = append(stack, epsPred.of(x)...)
	}
	return set, stack
}

// preds lists, for each state, the states that lead to it: in a compressed row layout.
type preds struct {
	first []int32 // first[x]..first[x+1] index into list
	list  []int32
}

func (p preds) of(x int32) []int32 { return p.list[p.first[x]:p.first[x+1]] }

// predecessors builds the reverse edges: without reading (split) and by reading.
func (m *lineMatcher) predecessors() (eps, read preds) {
	n := len(m.states)
	eps.first, read.first = make([]int32, n+1), make([]int32, n+1)
	for _, st := range m.states {
		switch st.op {
		case opSplit:
			eps.first[st.out+1]++
			eps.first[st.alt+1]++
		case opByte, opAny, opAnyLine:
			read.first[st.out+1]++
		}
	}
	for i := 0; i < n; i++ {
		eps.first[i+1] += eps.first[i]
		read.first[i+1] += read.first[i]
	}
	eps.list, read.list = make([]int32, eps.first[n]), make([]int32, read.first[n])
	epsAt, readAt := append([]int32(nil), eps.first[:n]...), append([]int32(nil), read.first[:n]...)
	for i, st := range m.states {
		switch st.op {
		case opSplit:
			eps.list[epsAt[st.out]] = int32(i)
			epsAt[st.out]++
			eps.list[epsAt[st.alt]] = int32(i)
			epsAt[st.alt]++
		case opByte, opAny, opAnyLine:
			read.list[readAt[st.out]] = int32(i)
			readAt[st.out]++
		}
	}
	return eps, read
}

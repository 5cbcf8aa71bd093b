package inventory

import (
	"regexp"
	"strings"
	"text/template/parse"

	"helm.sh/helm/v4/pkg/chart/common"
)

// "Any text" for every action is sound but loose: `name: {{ .name }}` at the end of a
// range body could then have printed the rest of the range, and no line of a range
// would be known. Most actions print a value from values.yaml, which Moat has, or pass
// one through a function that prints one line: those are "any text on one line".
// oneLineActions finds them, walking the template forward as Go executes it (dot and
// variables rebind in range and with). An action prints one line when its pipeline is
//   - a literal without a newline;
//   - a field chain from .Values whose whole subtree holds no string with a newline, or
//     from .Release, .Chart.Name and .Chart.Version, .Capabilities and .Template (names
//     and versions), or dot or a variable bound by range or with to such a subtree;
//   - a function that never prints a newline (quote, toJson, b64enc, arithmetic, ...),
//     or one that prints its arguments with no newline of its own (default, printf,
//     lower, trim, ...) given one-line arguments.
// A chart whose templates may change .Values while rendering (set, unset, merge) gets
// no refinement.

// neverNewline are functions whose output has no newline, whatever their input.
var neverNewline = map[string]bool{
	"quote": true, "toJson": true, "mustToJson": true, "toRawJson": true, "mustToRawJson": true,
	"b64enc": true, "b32enc": true, "sha256sum": true, "sha1sum": true, "adler32sum": true,
	"int": true, "int64": true, "float64": true, "len": true, "atoi": true,
	"add": true, "add1": true, "sub": true, "mul": true, "div": true, "mod": true, "max": true, "min": true,
	"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true, "and": true, "or": true, "not": true,
	"empty": true, "hasKey": true, "kindIs": true, "typeIs": true, "typeOf": true, "kindOf": true,
	"semverCompare": true, "contains": true, "hasPrefix": true, "hasSuffix": true, "randAlphaNum": true,
	"randAlpha": true, "randNumeric": true, "uuidv4": true,
}

// keepsOneLine are functions that print their arguments, or part of them, adding no
// newline: one-line input gives one-line output.
var keepsOneLine = map[string]bool{
	"default": true, "squote": true, "print": true, "printf": true, "toString": true,
	"lower": true, "upper": true, "title": true, "trim": true, "trimAll": true, "trimPrefix": true,
	"trimSuffix": true, "trunc": true, "replace": true, "coalesce": true, "ternary": true,
	"required": true, "kebabcase": true, "snakecase": true, "camelcase": true,
}

// indentShape is what an action whose last function is indent or nindent prints:
// every line starts with spaces, after a newline for nindent.
type indentShape struct {
	spaces  int
	newline bool
}

// indentedActions finds the actions of tree that end in `indent N` or `nindent N`
// with a literal N: toYaml and include blocks, mostly. Whatever they are given, they
// print lines that start with N spaces, so they cannot have printed a line indented
// less, such as the template's next key or the next item of a range.
func indentedActions(tree *parse.Tree) map[*parse.ActionNode]indentShape {
	out := map[*parse.ActionNode]indentShape{}
	var walk func(l *parse.ListNode)
	walk = func(l *parse.ListNode) {
		if l == nil {
			return
		}
		for _, n := range l.Nodes {
			switch n := n.(type) {
			case *parse.ActionNode:
				if sh, ok := indentOf(n.Pipe); ok && len(n.Pipe.Decl) == 0 {
					out[n] = sh
				}
			case *parse.IfNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.RangeNode:
				walk(n.List)
				walk(n.ElseList)
			case *parse.WithNode:
				walk(n.List)
				walk(n.ElseList)
			}
		}
	}
	walk(tree.Root)
	return out
}

func indentOf(p *parse.PipeNode) (indentShape, bool) {
	if p == nil || len(p.Cmds) == 0 {
		return indentShape{}, false
	}
	c := p.Cmds[len(p.Cmds)-1]
	if len(c.Args) < 2 {
		return indentShape{}, false
	}
	fn, ok := c.Args[0].(*parse.IdentifierNode)
	num, isNum := c.Args[1].(*parse.NumberNode)
	if !ok || !isNum || !num.IsInt || num.Int64 < 0 || num.Int64 > 200 || (fn.Ident != "indent" && fn.Ident != "nindent") {
		return indentShape{}, false
	}
	// The text indented is piped in, or the argument after N.
	if len(c.Args) != 3 && (len(c.Args) != 2 || len(p.Cmds) < 2) {
		return indentShape{}, false
	}
	return indentShape{spaces: int(num.Int64), newline: fn.Ident == "nindent"}, true
}

// mutatesValues finds template functions that can change .Values while rendering.
var mutatesValues = regexp.MustCompile(`\b(?:set|unset|merge|mergeOverwrite|mustMerge|mustMergeOverwrite)\b`)

// oneLineWalk is one forward walk of a template.
type oneLineWalk struct {
	values  any  // the chart's .Values
	dotRoot bool // dot is the template's data
	dotOne  bool // everything reachable from dot prints on one line
	vars    map[string]bool
	out     map[*parse.ActionNode]bool
	checked map[string]bool // .Values paths already checked
}

// oneLineActions returns the actions of tree that print no newline.
func oneLineActions(tree *parse.Tree, values any) map[*parse.ActionNode]bool {
	w := &oneLineWalk{values: values, dotRoot: true, vars: map[string]bool{"$": false}, out: map[*parse.ActionNode]bool{}, checked: map[string]bool{}}
	w.list(tree.Root)
	return w.out
}

func (w *oneLineWalk) list(l *parse.ListNode) {
	if l == nil {
		return
	}
	saved := w.copyVars() // variables declared in a block end with it
	for _, n := range l.Nodes {
		w.node(n)
	}
	w.vars = saved
}

func (w *oneLineWalk) copyVars() map[string]bool {
	c := make(map[string]bool, len(w.vars))
	for k, v := range w.vars {
		c[k] = v
	}
	return c
}

func (w *oneLineWalk) node(n parse.Node) {
	switch n := n.(type) {
	case *parse.ActionNode:
		one := w.pipe(n.Pipe)
		if len(n.Pipe.Decl) == 0 {
			w.out[n] = one
		}
		for _, v := range n.Pipe.Decl {
			if n.Pipe.IsAssign {
				w.vars[v.Ident[0]] = w.vars[v.Ident[0]] && one
			} else {
				w.vars[v.Ident[0]] = one
			}
		}
	case *parse.IfNode:
		w.list(n.List)
		w.list(n.ElseList)
	case *parse.RangeNode:
		w.scoped(n.Pipe, n.List)
		w.list(n.ElseList)
	case *parse.WithNode:
		w.scoped(n.Pipe, n.List)
		w.list(n.ElseList)
	}
}

// scoped walks the body of a range or with, whose dot (and declared variables) is the
// pipeline's value, or its elements.
func (w *oneLineWalk) scoped(p *parse.PipeNode, body *parse.ListNode) {
	one := w.pipe(p)
	root, dot, vars := w.dotRoot, w.dotOne, w.copyVars()
	w.dotRoot, w.dotOne = false, one
	for _, v := range p.Decl {
		w.vars[v.Ident[0]] = one
	}
	w.list(body)
	w.dotRoot, w.dotOne, w.vars = root, dot, vars
}

// pipe reports whether a pipeline's value, and all it holds, prints on one line.
func (w *oneLineWalk) pipe(p *parse.PipeNode) bool {
	if p == nil || len(p.Cmds) == 0 {
		return false
	}
	piped := true // the first command has no piped input
	for _, c := range p.Cmds {
		piped = w.command(c, piped)
	}
	return piped
}

func (w *oneLineWalk) command(c *parse.CommandNode, piped bool) bool {
	if len(c.Args) == 0 {
		return false
	}
	if fn, ok := c.Args[0].(*parse.IdentifierNode); ok {
		switch {
		case neverNewline[fn.Ident]:
			return true
		case keepsOneLine[fn.Ident]:
			for _, a := range c.Args[1:] {
				if !w.arg(a) {
					return false
				}
			}
			return piped
		}
		return false
	}
	return len(c.Args) == 1 && w.arg(c.Args[0])
}

func (w *oneLineWalk) arg(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.StringNode:
		return !strings.ContainsAny(n.Text, "\n\r")
	case *parse.NumberNode, *parse.BoolNode, *parse.NilNode:
		return true
	case *parse.DotNode:
		return !w.dotRoot && w.dotOne
	case *parse.FieldNode:
		if w.dotRoot {
			return w.root(n.Ident)
		}
		return w.dotOne
	case *parse.VariableNode:
		if n.Ident[0] == "$" {
			return len(n.Ident) > 1 && w.root(n.Ident[1:])
		}
		return w.vars[n.Ident[0]]
	case *parse.PipeNode:
		return w.pipe(n)
	}
	return false
}

// root reports whether a field chain from the template's data prints on one line.
func (w *oneLineWalk) root(ident []string) bool {
	switch ident[0] {
	case "Values":
		return w.valuesOneLine(ident[1:])
	case "Release", "Capabilities", "Template":
		return true // names, versions, booleans and numbers
	case "Chart":
		return len(ident) == 2 && (ident[1] == "Name" || ident[1] == "Version")
	}
	return false
}

// valuesOneLine reports whether the .Values subtree at path holds no string with a
// newline (a missing key prints nothing).
func (w *oneLineWalk) valuesOneLine(path []string) bool {
	key := strings.Join(path, "\x00")
	if v, ok := w.checked[key]; ok {
		return v
	}
	v := w.values
	ok := true
	for _, p := range path {
		if v == nil {
			break
		}
		m, isMap := valuesMap(v)
		if !isMap {
			ok = false // a field of a list or a scalar: not what Helm would print either
			break
		}
		v = m[p]
	}
	ok = ok && noNewline(v, 0)
	w.checked[key] = ok
	return ok
}

func valuesMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case common.Values:
		return m, true
	}
	return nil, false
}

// noNewline reports whether no string in v has a newline.
func noNewline(v any, depth int) bool {
	if depth > 100 {
		return false
	}
	switch t := v.(type) {
	case string:
		return !strings.ContainsAny(t, "\n\r")
	case map[string]any, common.Values:
		m, _ := valuesMap(t)
		for k, x := range m {
			if strings.ContainsAny(k, "\n\r") || !noNewline(x, depth+1) {
				return false
			}
		}
	case []any:
		for _, x := range t {
			if !noNewline(x, depth+1) {
				return false
			}
		}
	}
	return true
}

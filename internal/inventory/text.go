package inventory

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	yaml3 "go.yaml.in/yaml/v3"
)

// docText is what an object keeps of its document for SourceAt: the document's line
// index, built from the bytes that were decoded, while they were decoded. Nothing is
// read again later, so a line always describes the text the object was decoded from,
// even when its file has changed or gone since, and SourceAt does no I/O. The index
// is immutable once built; the items of a List share one.
type docText struct {
	idx *lineIndex // nil when the document could not be indexed

	// rendered is set for a document a chart template rendered: idx counts lines of
	// the rendered text, from start, and rendered turns them into template lines.
	rendered *renderedLines
	start    int
}

// renderedLines turns lines of a chart template's rendered output into lines of the
// template source (see helm_lines.go); one is shared by every object of a template.
type renderedLines struct {
	template []int32 // template[i] is the template line of rendered line i+1, or 0
}

// at is the template line of rendered line n, or 0 when it is not known.
func (r *renderedLines) at(n int) int {
	if n < 1 || n > len(r.template) {
		return 0
	}
	return int(r.template[n-1])
}

// attach makes an object decoded from the document that starts on rendered line start
// answer in template lines: its Source.Line becomes the template line of its first
// line, or 0 with LineUnknown, and SourceAt maps what it finds.
func (r *renderedLines) attach(o *Object, start int) {
	if o.text != nil && o.text.rendered == nil { // the items of a List share one text
		o.text.rendered, o.text.start = r, start
	}
	if o.Source.Line = r.at(start); o.Source.Line == 0 {
		o.Source.LineUnknown = lineUnknownReason
	}
}

// fixError turns the rendered line of a decoding error into its template line, or,
// when that is not known, says the line is one of the rendered output.
func (r *renderedLines) fixError(err error) {
	e, ok := err.(*Error)
	if !ok || e.Line <= 0 {
		return
	}
	if t := r.at(e.Line); t > 0 {
		e.Line = t
		return
	}
	e.Err = fmt.Errorf("line %d of the rendered template: %w", e.Line, e.Err)
	e.Line = 0
}

// indexText builds the text of a document that was decoded apart from its index.
func indexText(data []byte) *docText { return &docText{idx: indexDocument(data)} }

// indexDocument builds the line index of one document, or returns nil when the
// document cannot be parsed.
func indexDocument(data []byte) *lineIndex {
	if len(data) == 0 {
		return nil
	}
	if idx, ok := fastIndex(data); ok {
		return idx
	}
	return slowIndex(data)
}

// slowIndex builds the line index with the general parser, for documents the fast
// path does not read.
func slowIndex(data []byte) *lineIndex {
	var root yaml3.Node
	if yaml3.Unmarshal(data, &root) != nil {
		return nil
	}
	return buildIndex(&root)
}

// lineIndex is the shape of a YAML document with the line of every mapping key and
// sequence item, and nothing else: no scalar values, no comments. It is all SourceAt
// needs, and all an object keeps of its document: 16 bytes a node, and the bytes of
// the mapping keys that are not among the commonKeys.
type lineIndex struct {
	nodes []lineEntry // nodes[0] is the document's root; the children of a node are contiguous
	keys  string      // the other mapping keys, each preceded by its length as a uvarint
}

// lineEntry is one node of a lineIndex: its line (the line of its key, for a mapping
// entry), its key, and where its children are.
type lineEntry struct {
	line  int32
	key   uint32 // mapping entries: commonKey|i for commonKeyList[i], else the key's offset in keys
	first int32  // index of the first child in nodes
	shape uint32 // number of children << 2 | kind
}

// The kinds of a lineEntry.
const (
	kindNone     = iota // a value that cannot be followed (an alias without its anchor)
	kindScalar          // or an empty collection
	kindSequence        //
	kindMapping         //
)

// commonKey marks a lineEntry key that is a number in commonKeyList.
const commonKey = 1 << 31

func (e *lineEntry) kind() uint32 { return e.shape & 3 }

// kids returns the children of node n.
func (ix *lineIndex) kids(n int32) []lineEntry {
	e := &ix.nodes[n]
	return ix.nodes[e.first : e.first+int32(e.shape>>2)]
}

// key returns the key of a mapping entry.
func (ix *lineIndex) key(e *lineEntry) string {
	if e.key&commonKey != 0 {
		return commonKeyList[e.key&^commonKey]
	}
	k := ix.keys[e.key:]
	var l uint64
	var n int
	for n = 0; n < len(k); n++ { // binary.Uvarint, on a string
		l |= uint64(k[n]&0x7f) << (7 * n)
		if k[n] < 0x80 {
			n++
			break
		}
	}
	if uint64(len(k)-n) < l {
		return ""
	}
	return k[n : n+int(l)]
}

// indexTables is a line index while it is built: the nodes in the order they are met,
// and the children of each node as edges. compact turns it into the lineIndex an
// object keeps.
type indexTables struct {
	nodes []lineNode // nodes[0] is the document's root
	edges []lineEdge // the children of each node, contiguous

	// compact's work space, kept with pooled tables
	placed []int32
	queue  []placing
}

type lineNode struct {
	line  int32
	kind  yaml3.Kind // MappingNode, SequenceNode or ScalarNode
	first int32      // index of the first child in edges
	n     int32      // number of children
}

// lineEdge is one child: a mapping entry (key and the line of the key) or a
// sequence item (no key).
type lineEdge struct {
	key     string
	keyLine int32
	node    int32
}

type placing struct{ node, entry int32 }

// compact lays the tables out as a lineIndex, breadth first so that the children of
// each node are contiguous. A node that aliases make the child of several (the
// tables are then a graph) has its children placed once and shared.
func (t *indexTables) compact() *lineIndex {
	if len(t.nodes) == 0 {
		return nil
	}
	keyBytes := 0
	for _, e := range t.edges {
		if _, ok := commonKeys[e.key]; !ok {
			keyBytes += uvarintLen(len(e.key)) + len(e.key)
		}
	}
	var keys strings.Builder
	keys.Grow(keyBytes)
	ix := &lineIndex{nodes: make([]lineEntry, 1, 1+len(t.edges))}
	ix.nodes[0] = lineEntry{line: t.nodes[0].line, shape: kindOf(t.nodes[0].kind)}
	t.placed = slices.Grow(t.placed[:0], len(t.nodes))[:len(t.nodes)]
	for i := range t.placed {
		t.placed[i] = -1
	}
	t.queue = append(t.queue[:0], placing{0, 0})
	var lb [binary.MaxVarintLen64]byte
	for q := 0; q < len(t.queue); q++ {
		p := t.queue[q]
		n := t.nodes[p.node]
		if n.n == 0 {
			continue
		}
		first := t.placed[p.node]
		if first < 0 {
			first = int32(len(ix.nodes))
			t.placed[p.node] = first
			for _, e := range t.edges[n.first : n.first+n.n] {
				en := lineEntry{line: e.keyLine}
				if n.kind == yaml3.MappingNode {
					if id, ok := commonKeys[e.key]; ok {
						en.key = commonKey | id
					} else {
						en.key = uint32(keys.Len())
						keys.Write(lb[:binary.PutUvarint(lb[:], uint64(len(e.key)))])
						keys.WriteString(e.key)
					}
				}
				if e.node >= 0 {
					c := t.nodes[e.node]
					if en.line <= 0 {
						en.line = c.line
					}
					en.shape = kindOf(c.kind)
					t.queue = append(t.queue, placing{e.node, int32(len(ix.nodes))})
				}
				ix.nodes = append(ix.nodes, en)
			}
		}
		ix.nodes[p.entry].first = first
		ix.nodes[p.entry].shape |= uint32(n.n) << 2
	}
	ix.keys = keys.String()
	if cap(ix.nodes) > len(ix.nodes)+len(ix.nodes)/8 {
		ix.nodes = slices.Clip(ix.nodes) // aliases shared some children
	}
	return ix
}

func kindOf(k yaml3.Kind) uint32 {
	switch k {
	case yaml3.MappingNode:
		return kindMapping
	case yaml3.SequenceNode:
		return kindSequence
	}
	return kindScalar
}

func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}

// buildIndex builds the line index of a document parsed by go.yaml.in/yaml/v3.
func buildIndex(doc *yaml3.Node) *lineIndex {
	b := &indexBuilder{t: &indexTables{}, seen: map[*yaml3.Node]int32{}}
	root := resolve(doc)
	if root == nil {
		return nil
	}
	b.add(root)
	return b.t.compact()
}

type indexBuilder struct {
	t    *indexTables
	seen map[*yaml3.Node]int32 // aliases point to the node of their anchor, not a copy
}

// resolve skips document and alias nodes to the node that holds content.
func resolve(n *yaml3.Node) *yaml3.Node {
	for i := 0; n != nil && i < 100; i++ {
		switch n.Kind {
		case yaml3.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		case yaml3.AliasNode:
			n = n.Alias
		default:
			return n
		}
	}
	return nil
}

func (b *indexBuilder) add(n *yaml3.Node) int32 {
	if i, ok := b.seen[n]; ok {
		return i
	}
	t := b.t
	i := int32(len(t.nodes))
	b.seen[n] = i
	t.nodes = append(t.nodes, lineNode{line: int32(n.Line), kind: n.Kind})
	var count int
	switch n.Kind {
	case yaml3.MappingNode:
		count = len(n.Content) / 2
	case yaml3.SequenceNode:
		count = len(n.Content)
	}
	if count == 0 {
		return i
	}
	// Reserve this node's children first so they stay contiguous, then fill them in.
	first := len(t.edges)
	t.edges = append(t.edges, make([]lineEdge, count)...)
	t.nodes[i].first, t.nodes[i].n = int32(first), int32(count)
	for c := 0; c < count; c++ {
		var e lineEdge
		val := n.Content[c]
		if n.Kind == yaml3.MappingNode {
			key := n.Content[2*c]
			val = n.Content[2*c+1]
			e.keyLine = int32(key.Line)
			if k := resolve(key); k != nil && k.Kind == yaml3.ScalarNode {
				e.key = k.Value
			}
		}
		e.node = -1
		if v := resolve(val); v != nil {
			e.node = b.add(v)
		} else if val.Kind == yaml3.AliasNode {
			// an alias we cannot follow: keep its own line
			e.node = int32(len(t.nodes))
			t.nodes = append(t.nodes, lineNode{line: int32(val.Line), kind: yaml3.ScalarNode})
		}
		t.edges[first+c] = e
	}
	return i
}

// lookup returns the line of the deepest part of the path written in the document:
// the line of a mapping key ("securityContext:" rather than its first field), or of
// a sequence item. Segments are names, "[3]" for a sequence item, or "[a.b]" for a
// map key that holds dots.
func (ix *lineIndex) lookup(segs []string) int {
	if ix == nil || len(ix.nodes) == 0 {
		return 0
	}
	n := int32(0)
	line := ix.nodes[0].line
	for _, seg := range segs {
		c := ix.child(n, seg)
		if c < 0 || ix.nodes[c].kind() == kindNone {
			break
		}
		n, line = c, ix.nodes[c].line
	}
	return int(line)
}

// lookupPaths is lookup of the segments of the field paths a and then b (see
// splitPath), read in place: SourceAt runs once for every finding.
func (ix *lineIndex) lookupPaths(a, b string) int {
	if ix == nil || len(ix.nodes) == 0 {
		return 0
	}
	if strings.LastIndexByte(a, '[') > strings.LastIndexByte(a, ']') {
		// An unclosed bracket in a would run on into b: join them as SourceAt did.
		return ix.lookup(splitPath(strings.TrimSuffix(a+"."+b, ".")))
	}
	n := int32(0)
	line := ix.nodes[0].line
	for _, p := range [2]string{a, b} {
		for i := 0; ; {
			seg, next := nextSegment(p, i)
			if seg == "" {
				break
			}
			i = next
			c := ix.child(n, seg)
			if c < 0 || ix.nodes[c].kind() == kindNone {
				return int(line)
			}
			n, line = c, ix.nodes[c].line
		}
	}
	return int(line)
}

// nextSegment returns the segment of path p that starts at or after byte i, as
// splitPath cuts them, and where the one after it starts; "" when there is none.
func nextSegment(p string, i int) (seg string, next int) {
	for i < len(p) && p[i] == '.' {
		i++
	}
	if i >= len(p) {
		return "", i
	}
	if p[i] == '[' {
		j := strings.IndexByte(p[i:], ']')
		if j < 0 {
			return p[i:], len(p)
		}
		return p[i : i+j+1], i + j + 1
	}
	j := i
	for j < len(p) && p[j] != '.' && p[j] != '[' {
		j++
	}
	return p[i:j], j
}

// atoi is strconv.Atoi without the allocation of its error for the common cases: a
// short run of digits, or a map key.
func atoi(s string) (int, error) {
	if len(s) == 0 || len(s) > 9 {
		return strconv.Atoi(s)
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			if c == '+' || c == '-' {
				return strconv.Atoi(s)
			}
			return 0, strconv.ErrSyntax
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// child returns the node a segment names under node n, or -1.
func (ix *lineIndex) child(n int32, seg string) int32 {
	node := &ix.nodes[n]
	kids := ix.kids(n)
	if strings.HasPrefix(seg, "[") {
		inner := strings.TrimSuffix(seg[1:], "]")
		i, err := atoi(inner)
		if err != nil && node.kind() == kindMapping {
			seg = inner // "[app.properties]": a map key that holds dots
		} else {
			if err != nil || node.kind() != kindSequence || i < 0 || i >= len(kids) {
				return -1
			}
			return node.first + int32(i)
		}
	}
	if node.kind() != kindMapping {
		return -1
	}
	for k := range kids {
		if ix.key(&kids[k]) == seg {
			return node.first + int32(k)
		}
	}
	return -1
}

// lookupLoose resolves a path that names fields but no sequence indexes, as JSON
// type errors give them ("spec.template.spec.containers.image"): a name met at a
// sequence is looked for in its items, first match wins. It returns 0 when the
// path is not written.
func (ix *lineIndex) lookupLoose(segs []string) int {
	if ix == nil || len(ix.nodes) == 0 || len(segs) == 0 {
		return 0
	}
	budget := 10000 // aliases can make the walk a graph; bound it
	return ix.loose(0, segs, &budget)
}

func (ix *lineIndex) loose(n int32, segs []string, budget *int) int {
	if *budget--; *budget < 0 {
		return 0
	}
	node := &ix.nodes[n]
	kids := ix.kids(n)
	seg := segs[0]
	if strings.HasPrefix(seg, "[") {
		inner := strings.TrimSuffix(seg[1:], "]")
		if i, err := strconv.Atoi(inner); err == nil {
			if node.kind() != kindSequence || i < 0 || i >= len(kids) || kids[i].kind() == kindNone {
				return 0
			}
			if len(segs) == 1 {
				return int(kids[i].line)
			}
			return ix.loose(node.first+int32(i), segs[1:], budget)
		}
		seg = inner
	}
	switch node.kind() {
	case kindMapping:
		for k := range kids {
			if kids[k].kind() != kindNone && ix.key(&kids[k]) == seg {
				if len(segs) == 1 {
					return int(kids[k].line)
				}
				return ix.loose(node.first+int32(k), segs[1:], budget)
			}
		}
	case kindSequence:
		for k := range kids {
			if kids[k].kind() == kindNone {
				continue
			}
			if l := ix.loose(node.first+int32(k), segs, budget); l > 0 {
				return l
			}
		}
	}
	return 0
}

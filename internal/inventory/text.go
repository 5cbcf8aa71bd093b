package inventory

import (
	"hash/crc32"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	yaml3 "go.yaml.in/yaml/v3"
)

// docText is where the text of one document can be found again when SourceAt needs
// the line of a field. A manifest file is not held in memory: the object keeps the
// file's path and the document's byte range, and the range is read again on the
// first SourceAt. Standard input and rendered charts and overlays have no file to
// read again, so they keep the document's bytes until the index is built.
type docText struct {
	raw  []byte // the document, when there is no file to read again
	path string // else the file, and the document's byte range in it
	off  int64
	size int
	sum  uint32 // CRC-32 of the range, to notice a file that changed since it was read

	once sync.Once
	idx  *lineIndex
}

// textInMemory keeps the bytes of a document.
func textInMemory(data []byte) *docText { return &docText{raw: data} }

// textInFile refers to a document by its byte range in a file.
func textInFile(path string, off int64, data []byte) *docText {
	return &docText{path: path, off: off, size: len(data), sum: crc32.ChecksumIEEE(data)}
}

// index returns the document's line index, building it on the first call, or nil
// when the document cannot be read again or parsed.
func (d *docText) index() *lineIndex {
	d.once.Do(func() {
		data := d.raw
		d.raw = nil // the index replaces the text
		if data == nil && d.path != "" {
			data = d.reread()
		}
		if len(data) == 0 {
			return
		}
		if idx, ok := fastIndex(data); ok {
			d.idx = idx
			return
		}
		var root yaml3.Node
		if yaml3.Unmarshal(data, &root) != nil {
			return
		}
		d.idx = buildIndex(&root)
	})
	return d.idx
}

// reread reads the document's range from its file, or returns nil when the file is
// gone or no longer holds the same bytes there.
func (d *docText) reread() []byte {
	f, err := os.Open(d.path)
	if err != nil {
		return nil
	}
	defer f.Close()
	buf := make([]byte, d.size)
	if _, err := f.ReadAt(buf, d.off); err != nil && err != io.EOF {
		return nil
	}
	if crc32.ChecksumIEEE(buf) != d.sum {
		return nil
	}
	return buf
}

// lineIndex is the shape of a YAML document with the line of every node and every
// mapping key, and nothing else: no scalar values, no comments. It is several times
// smaller than a yaml.Node tree and is all SourceAt needs.
type lineIndex struct {
	nodes []lineNode // nodes[0] is the document's root
	edges []lineEdge // the children of each node, contiguous
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

func buildIndex(doc *yaml3.Node) *lineIndex {
	b := &indexBuilder{idx: &lineIndex{}, seen: map[*yaml3.Node]int32{}}
	root := resolve(doc)
	if root == nil {
		return nil
	}
	b.add(root)
	return b.idx
}

type indexBuilder struct {
	idx  *lineIndex
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
	i := int32(len(b.idx.nodes))
	b.seen[n] = i
	b.idx.nodes = append(b.idx.nodes, lineNode{line: int32(n.Line), kind: n.Kind})
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
	first := len(b.idx.edges)
	b.idx.edges = append(b.idx.edges, make([]lineEdge, count)...)
	b.idx.nodes[i].first, b.idx.nodes[i].n = int32(first), int32(count)
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
			e.node = int32(len(b.idx.nodes))
			b.idx.nodes = append(b.idx.nodes, lineNode{line: int32(val.Line), kind: yaml3.ScalarNode})
		}
		b.idx.edges[first+c] = e
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
		e := ix.child(n, seg)
		if e == nil || e.node < 0 {
			break
		}
		n, line = e.node, ix.nodes[e.node].line
		if e.keyLine > 0 {
			line = e.keyLine
		}
	}
	return int(line)
}

func (ix *lineIndex) child(n int32, seg string) *lineEdge {
	node := ix.nodes[n]
	kids := ix.edges[node.first : node.first+node.n]
	if strings.HasPrefix(seg, "[") {
		inner := strings.TrimSuffix(seg[1:], "]")
		i, err := strconv.Atoi(inner)
		if err != nil && node.kind == yaml3.MappingNode {
			seg = inner // "[app.properties]": a map key that holds dots
		} else {
			if err != nil || node.kind != yaml3.SequenceNode || i < 0 || i >= len(kids) {
				return nil
			}
			return &kids[i]
		}
	}
	if node.kind != yaml3.MappingNode {
		return nil
	}
	for k := range kids {
		if kids[k].key == seg {
			return &kids[k]
		}
	}
	return nil
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
	node := ix.nodes[n]
	kids := ix.edges[node.first : node.first+node.n]
	seg := segs[0]
	if strings.HasPrefix(seg, "[") {
		inner := strings.TrimSuffix(seg[1:], "]")
		if i, err := strconv.Atoi(inner); err == nil {
			if node.kind != yaml3.SequenceNode || i < 0 || i >= len(kids) || kids[i].node < 0 {
				return 0
			}
			if len(segs) == 1 {
				return int(ix.nodes[kids[i].node].line)
			}
			return ix.loose(kids[i].node, segs[1:], budget)
		}
		seg = inner
	}
	switch node.kind {
	case yaml3.MappingNode:
		for _, e := range kids {
			if e.key == seg && e.node >= 0 {
				if len(segs) == 1 {
					return int(e.keyLine)
				}
				return ix.loose(e.node, segs[1:], budget)
			}
		}
	case yaml3.SequenceNode:
		for _, e := range kids {
			if e.node < 0 {
				continue
			}
			if l := ix.loose(e.node, segs, budget); l > 0 {
				return l
			}
		}
	}
	return 0
}

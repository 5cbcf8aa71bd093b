package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	yaml3 "go.yaml.in/yaml/v3"
)

// MaxExpandedBytes bounds what one YAML document may expand to through its aliases.
//
// A YAML parser expands every alias into a copy of its anchor's value. The parser's
// own guard stops the classic billion-laughs shape (aliases of aliases), not a wide
// one: a 1 MiB file whose 1,000 aliases each name one 1 MiB scalar expanded to 1 GB
// of JSON and took 3.2 GB of memory and 36 s. A document is at most
// MaxDocumentBytes long; twice that is more than any real manifest expands to.
const MaxExpandedBytes = 2 * MaxDocumentBytes

// checkAliasExpansion reports a document whose aliases would expand it beyond
// MaxExpandedBytes. It parses only documents that may hold an anchor and an alias,
// into a node tree, where an alias is a pointer to its anchor's node and nothing is
// copied; the expanded size is then summed with each anchor's size counted once.
func checkAliasExpansion(data []byte) error {
	if !mayHaveAliases(data) {
		return nil
	}
	var root yaml3.Node
	if err := yaml3.Unmarshal(data, &root); err != nil {
		return nil // not valid YAML: decoding says why
	}
	s := sizer{memo: map[*yaml3.Node]int64{}}
	n, err := s.size(&root, 0)
	if err != nil {
		return err
	}
	if n > MaxExpandedBytes {
		return fmt.Errorf("YAML aliases expand this document to more than %d MiB; not decoded", MaxExpandedBytes>>20)
	}
	return nil
}

// mayHaveAliases reports whether data may hold both an anchor and an alias: a '&'
// and a '*' where a node may start (after a space, a line break or a flow
// indicator) and followed by a name. A URL's "a=1&b=2" is not one; a cron
// schedule's "*/5" may be, but is no anchor.
func mayHaveAliases(data []byte) bool {
	return hasNodeMark(data, '&') && hasNodeMark(data, '*')
}

func hasNodeMark(data []byte, mark byte) bool {
	for i := bytes.IndexByte(data, mark); i >= 0; {
		if i+1 < len(data) && !isSpaceByte(data[i+1]) && (i == 0 || isSpaceByte(data[i-1]) || bytes.IndexByte([]byte("[{,:-"), data[i-1]) >= 0) {
			return true
		}
		j := bytes.IndexByte(data[i+1:], mark)
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

func isSpaceByte(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// errAliasCycle is an alias inside the value of its own anchor.
var errAliasCycle = errors.New("a YAML alias refers to a value that contains it")

type sizer struct {
	memo map[*yaml3.Node]int64
}

// size approximates the JSON size of a node with its aliases expanded: scalars by
// their length, collections by their items, one byte per separator. It stops
// counting once past the limit, so that a tree of aliases of aliases costs no more
// than its nodes.
func (s *sizer) size(n *yaml3.Node, depth int) (int64, error) {
	if n == nil {
		return 0, nil
	}
	if depth > 10000 {
		return 0, errAliasCycle
	}
	if v, ok := s.memo[n]; ok {
		if v < 0 {
			return 0, errAliasCycle
		}
		return v, nil
	}
	s.memo[n] = -1 // being counted
	var total int64
	switch n.Kind {
	case yaml3.ScalarNode:
		total = int64(len(n.Value)) + 2
	case yaml3.AliasNode:
		v, err := s.size(n.Alias, depth+1)
		if err != nil {
			return 0, err
		}
		total = v
	default:
		total = 2
		for _, c := range n.Content {
			v, err := s.size(c, depth+1)
			if err != nil {
				return 0, err
			}
			total += v + 1
			if total > MaxExpandedBytes {
				break
			}
		}
	}
	s.memo[n] = total
	return total, nil
}

// checkFileAliasExpansion is checkAliasExpansion for readers of whole files
// (kustomize's resources): each document of data is checked.
func checkFileAliasExpansion(data []byte) error {
	if !mayHaveAliases(data) {
		return nil
	}
	return splitDocuments(bytes.NewReader(data), func(d document) error {
		if d.data == nil {
			return nil
		}
		if err := checkAliasExpansion(d.data); err != nil {
			return fmt.Errorf("line %d: %w", d.line, err)
		}
		return nil
	})
}

// boundedReader reads at most left bytes, then fails with errStreamTooLarge if the
// stream goes on.
type boundedReader struct {
	r           io.Reader
	left, limit int64
}

// errStreamTooLarge is returned once a boundedReader has read its limit.
type errStreamTooLarge struct{ limit int64 }

func (e errStreamTooLarge) Error() string {
	return fmt.Sprintf("larger than %d MiB; the rest is not read", e.limit>>20)
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a stream of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := io.ReadFull(b.r, one[:]); n == 0 {
			return 0, io.EOF
		}
		return 0, errStreamTooLarge{b.limit}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// decodeBounded reads a stream that has no size to check beforehand (standard
// input, a FIFO named on the command line) up to MaxStreamBytes; a longer stream is
// an error and the rest is not read.
func decodeBounded(r io.Reader, file string) ([]*Object, []error) {
	return Decode(&boundedReader{r: r, left: maxStreamBytes, limit: maxStreamBytes}, file)
}

// maxStreamBytes is MaxStreamBytes, lowered by tests.
var maxStreamBytes int64 = MaxStreamBytes

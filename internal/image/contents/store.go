package contents

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

// blob is one kept file's content, in memory or spilled to a temporary file. Hard links
// share one blob; it is released when the last path holding it goes.
type blob struct {
	data  []byte
	spill string // path of the temporary file, when the content is on disk
	size  int64
	refs  int
}

// entry is one kept path: a regular file (blob) or, for the os-release paths only, a
// symlink (link).
type entry struct {
	blob  *blob
	link  string
	mode  fs.FileMode
	mtime time.Time
	layer int // index of the layer that wrote it
}

// store is the set of kept files as the layers are applied in order.
type store struct {
	entries map[string]*entry
	// below counts kept entries under each directory ("" is the root), so that the
	// common case — a path with nothing kept below it — needs no scan of entries.
	below map[string]int
	kept  int64 // bytes held by live blobs, in memory and spilled
	spill int64 // size above which a blob goes to disk
	// tmpDir holds spilled blobs; made on first use, removed by close.
	tmpDir string
	// scratch receives files that are kept only if they carry a marker, so that the
	// many that do not cost no allocation.
	scratch []byte
}

func newStore(opt Options) *store {
	spill := int64(spillBytes)
	if opt.spillBytes > 0 {
		spill = opt.spillBytes
	}
	return &store{entries: map[string]*entry{}, below: map[string]int{}, spill: spill}
}

// put keeps e at p, replacing whatever was there. A kept file at a directory above p
// goes too: unpacking p would have replaced it with a directory.
func (s *store) put(p string, e *entry) {
	s.remove(p)
	for d := parent(p); d != ""; d = parent(d) {
		s.remove(d)
	}
	if e.blob != nil {
		if e.blob.refs == 0 {
			s.kept += e.blob.size
		}
		e.blob.refs++
	}
	s.entries[p] = e
	for d := parent(p); ; d = parent(d) {
		s.below[d]++
		if d == "" {
			break
		}
	}
}

// remove drops the entry at p, if any.
func (s *store) remove(p string) {
	e, ok := s.entries[p]
	if !ok {
		return
	}
	delete(s.entries, p)
	for d := parent(p); ; d = parent(d) {
		if s.below[d]--; s.below[d] == 0 {
			delete(s.below, d)
		}
		if d == "" {
			break
		}
	}
	s.release(e.blob)
}

// removeBelow drops the entries under dir ("" for the root) that layers before the
// given index wrote.
func (s *store) removeBelow(dir string, before int) {
	if s.below[dir] == 0 {
		return
	}
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	for p, e := range s.entries {
		if e.layer < before && strings.HasPrefix(p, prefix) {
			s.remove(p)
		}
	}
}

// removeTree drops p and everything under it that layers before the given index wrote:
// what a whiteout of p does.
func (s *store) removeTree(p string, before int) {
	if e, ok := s.entries[p]; ok && e.layer < before {
		s.remove(p)
	}
	s.removeBelow(p, before)
}

func (s *store) release(b *blob) {
	if b == nil {
		return
	}
	if b.refs--; b.refs > 0 {
		return
	}
	s.kept -= b.size
	if b.spill != "" {
		_ = os.Remove(b.spill) // best effort: close removes the whole directory
	}
	b.data = nil
}

// read takes the next size bytes of r as a blob. With markers, content that holds none
// of them is dropped and read returns nil, nil.
func (s *store) read(r io.Reader, size int64, markers [][]byte) (*blob, error) {
	if size > s.spill {
		return s.readToDisk(r, size, markers)
	}
	if len(markers) == 0 {
		b := make([]byte, size)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		return &blob{data: b, size: size}, nil
	}
	if int64(cap(s.scratch)) < size {
		s.scratch = make([]byte, max(size, min(2*int64(cap(s.scratch)), s.spill), 64<<10))
	}
	buf := s.scratch[:size]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	if !containsAny(buf, markers) {
		return nil, nil
	}
	return &blob{data: bytes.Clone(buf), size: size}, nil
}

func (s *store) readToDisk(r io.Reader, size int64, markers [][]byte) (*blob, error) {
	f, err := s.createTemp()
	if err != nil {
		return nil, err
	}
	scan := newMarkerScan(markers)
	var w io.Writer = f
	if scan != nil {
		w = io.MultiWriter(f, scan)
	}
	_, err = io.CopyN(w, r, size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil || (scan != nil && !scan.found) {
		_ = os.Remove(f.Name())
		return nil, err
	}
	return &blob{spill: f.Name(), size: size}, nil
}

func (s *store) createTemp() (*os.File, error) {
	if s.tmpDir == "" {
		dir, err := os.MkdirTemp("", "moat-contents-")
		if err != nil {
			return nil, fmt.Errorf("temporary directory for large files: %w", err)
		}
		s.tmpDir = dir
	}
	return os.CreateTemp(s.tmpDir, "kept-")
}

// close removes every spilled file.
func (s *store) close() {
	if s.tmpDir != "" {
		_ = os.RemoveAll(s.tmpDir)
		s.tmpDir = ""
	}
}

// parent is p's directory, "" for a path at the root.
func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ""
	}
	return p[:i]
}

func containsAny(b []byte, markers [][]byte) bool {
	for _, m := range markers {
		if bytes.Contains(b, m) {
			return true
		}
	}
	return false
}

// markerScan is a writer that notes whether any marker passed through it, including
// one split between two writes.
type markerScan struct {
	markers [][]byte
	keep    int    // longest marker's length - 1: what a split marker can leave behind
	carry   []byte // the last keep bytes written
	joint   []byte // carry followed by the head of the next write
	found   bool
}

func newMarkerScan(markers [][]byte) *markerScan {
	if len(markers) == 0 {
		return nil
	}
	longest := 0
	for _, m := range markers {
		longest = max(longest, len(m))
	}
	return &markerScan{markers: markers, keep: longest - 1}
}

func (m *markerScan) Write(p []byte) (int, error) {
	if m.found {
		return len(p), nil
	}
	if len(m.carry) > 0 {
		m.joint = append(append(m.joint[:0], m.carry...), p[:min(len(p), m.keep)]...)
		if containsAny(m.joint, m.markers) {
			m.found = true
			return len(p), nil
		}
	}
	if containsAny(p, m.markers) {
		m.found = true
		return len(p), nil
	}
	m.carry = append(m.carry, p[max(0, len(p)-m.keep):]...)
	if extra := len(m.carry) - m.keep; extra > 0 {
		m.carry = append(m.carry[:0], m.carry[extra:]...)
	}
	return len(p), nil
}

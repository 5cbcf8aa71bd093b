package contents

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// keptFS is the image's filesystem as far as the extractors need it: the kept files
// and the directories that hold them, read-only. It is what scalibr's walk sees
// (scalibrfs.FS: fs.FS, fs.ReadDirFS, fs.StatFS). Symlinks (os-release only) are
// followed by Open and Stat; a symlinked directory in the middle of a path is not.
type keptFS struct {
	files   map[string]*entry
	dirs    map[string][]fs.DirEntry // "." is the root
	diffIDs []string
}

// maxLinkHops bounds symlink resolution, as the kernel's ELOOP does.
const maxLinkHops = 8

// freeze turns the store into the filesystem the extractors walk. The store keeps
// owning the blobs: close it only after the walk.
func (s *store) freeze(diffIDs []string) *keptFS {
	k := &keptFS{files: s.entries, dirs: map[string][]fs.DirEntry{".": nil}, diffIDs: diffIDs}
	// scalibr's os-release lookup wants "etc" to exist before it opens anything.
	k.addDir("etc")
	for p, e := range s.entries {
		k.link(p, fs.FileInfoToDirEntry(e.info(path.Base(p))))
	}
	for _, list := range k.dirs {
		slices.SortFunc(list, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	}
	return k
}

// link lists child in its parent directory, making the directories above as needed.
func (k *keptFS) link(child string, d fs.DirEntry) {
	dir := parent(child)
	if dir == "" {
		dir = "."
	} else {
		k.addDir(dir)
	}
	k.dirs[dir] = append(k.dirs[dir], d)
}

func (k *keptFS) addDir(dir string) {
	if _, ok := k.dirs[dir]; ok {
		return
	}
	k.dirs[dir] = nil
	k.link(dir, fs.FileInfoToDirEntry(dirInfo(path.Base(dir))))
}

// Open opens a kept file or directory.
func (k *keptFS) Open(name string) (fs.File, error) {
	p, e, err := k.resolve("open", name)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return &dirFile{info: dirInfo(path.Base(p)), entries: k.dirs[p]}, nil
	}
	info := e.info(path.Base(name))
	if e.blob.spill != "" {
		f, err := os.Open(e.blob.spill)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &diskFile{File: f, info: info}, nil
	}
	return &memFile{Reader: bytes.NewReader(e.blob.data), info: info}, nil
}

// Stat describes a kept file or directory, following symlinks.
func (k *keptFS) Stat(name string) (fs.FileInfo, error) {
	p, e, err := k.resolve("stat", name)
	if err != nil {
		return nil, err
	}
	if e == nil {
		return dirInfo(path.Base(p)), nil
	}
	return e.info(path.Base(name)), nil
}

// ReadDir lists a directory, sorted by name.
func (k *keptFS) ReadDir(name string) ([]fs.DirEntry, error) {
	p, e, err := k.resolve("readdir", name)
	if err != nil {
		return nil, err
	}
	if e != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return slices.Clone(k.dirs[p]), nil
}

// resolve follows symlinks from name to a directory (entry nil) or a regular file.
func (k *keptFS) resolve(op, name string) (string, *entry, error) {
	if !fs.ValidPath(name) {
		return "", nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	p := name
	for range maxLinkHops {
		if _, ok := k.dirs[p]; ok {
			return p, nil, nil
		}
		e, ok := k.files[p]
		if !ok {
			return "", nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		if e.blob != nil {
			return p, e, nil
		}
		p = linkTarget(p, e.link)
		if p == "" {
			p = "."
		}
	}
	return "", nil, &fs.PathError{Op: op, Path: name, Err: errors.New("too many levels of symbolic links")}
}

// linkTarget resolves a symlink's target against the link's directory, within the
// image root: an absolute target starts at the image root, ".." stops there.
func linkTarget(link, target string) string {
	if path.IsAbs(target) {
		return cleanPath(target)
	}
	return cleanPath(path.Join(parent(link), target))
}

func (e *entry) info(name string) *fileInfo {
	fi := &fileInfo{name: name, mode: e.mode, mtime: e.mtime}
	if e.blob != nil {
		fi.size = e.blob.size
	}
	return fi
}

func dirInfo(name string) *fileInfo {
	return &fileInfo{name: name, mode: fs.ModeDir | 0o755}
}

// fileInfo is fs.FileInfo for kept files and synthesised directories.
type fileInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

func (f *fileInfo) Name() string       { return f.name }
func (f *fileInfo) Size() int64        { return f.size }
func (f *fileInfo) Mode() fs.FileMode  { return f.mode }
func (f *fileInfo) ModTime() time.Time { return f.mtime }
func (f *fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f *fileInfo) Sys() any           { return nil }

// memFile is an open in-memory file. It is an io.ReaderAt, which the binary and
// archive extractors need to avoid copying the file again.
type memFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

// diskFile is an open spilled file, described as the image's file rather than the
// temporary one.
type diskFile struct {
	*os.File
	info fs.FileInfo
}

func (f *diskFile) Stat() (fs.FileInfo, error) { return f.info, nil }

// dirFile is an open directory.
type dirFile struct {
	info    fs.FileInfo
	entries []fs.DirEntry
	offset  int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.Name(), Err: errors.New("is a directory")}
}

// ReadDir follows fs.ReadDirFile: n > 0 reads in batches and ends with io.EOF.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.offset:]
	if n <= 0 {
		d.offset = len(d.entries)
		return slices.Clone(rest), nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.offset += n
	return slices.Clone(rest[:n]), nil
}

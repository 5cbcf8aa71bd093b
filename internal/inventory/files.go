package inventory

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// What a scan reads from disk, and what it refuses.
//
// A scan reads the tree it was named and nothing else. A directory walk, a chart and
// an overlay all hold to the same rules:
//
//   - Only regular files are read. A FIFO blocks the reader forever, /dev/zero never
//     ends, a socket cannot be read: in a walk each is skipped with a warning that
//     names it; in a chart or overlay it is an error. Files are opened without
//     blocking and checked again after opening, so a FIFO is never waited on.
//   - A symbolic link is followed only when its target stays inside the scanned
//     tree (the PATH named on the command line; for a chart, the chart), unless
//     Options.FollowSymlinks says otherwise. A link into /proc, /sys or /dev is
//     never followed: /proc/self/environ is the CI job's secrets.
//   - A file named on the command line is read as named: a symbolic link is
//     followed, and a FIFO (`moat scan <(helm template ...)`) is read up to
//     MaxStreamBytes, like standard input. Devices are refused.

// MaxStreamBytes bounds what is read from standard input or a FIFO named on the
// command line: a stream has no size to check beforehand, and /dev/zero never ends.
const MaxStreamBytes = 1 << 30

// specialRoots are the kernel's pseudo file systems: never read from a tree.
var specialRoots = []string{"/proc", "/sys", "/dev"}

// isSpecial reports a path under /proc, /sys or /dev.
func isSpecial(p string) bool {
	p = filepath.ToSlash(filepath.Clean(p))
	for _, r := range specialRoots {
		if p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}

// within reports whether p is dir or inside it; both are clean absolute paths.
func within(p, dir string) bool {
	if p == dir {
		return true
	}
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// realPath is the absolute path of p with every symbolic link resolved, or its
// clean absolute path when it cannot be resolved.
func realPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	return abs
}

// fileKind names what a non-regular file is, for messages.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file"
}

// errNotRegular is a file that is not read because it is not a regular file.
type errNotRegular struct{ mode fs.FileMode }

func (e *errNotRegular) Error() string {
	return fmt.Sprintf("not read: %s, not a regular file", fileKind(e.mode))
}

// openRegular opens a regular file for reading without ever blocking on a FIFO:
// the file is opened non-blocking and checked after opening, so a file swapped for
// a FIFO after it was listed is still refused.
func openRegular(p string) (*os.File, error) {
	f, err := openNonBlocking(p)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &errNotRegular{st.Mode()}
	}
	return f, nil
}

// readRegular reads a whole regular file, refusing anything else.
func readRegular(p string) ([]byte, error) {
	f, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// treeRules say what may be read inside one scanned tree.
type treeRules struct {
	root           string // the real path of the tree
	absRoot        string // its absolute path as named
	followSymlinks bool
}

func newTreeRules(root string, followSymlinks bool) treeRules {
	abs, err := filepath.Abs(root)
	if err != nil {
		abs = filepath.Clean(root)
	}
	return treeRules{root: realPath(root), absRoot: abs, followSymlinks: followSymlinks}
}

// reachedWithoutLinks reports whether the absolute path l resolves to real only
// through the links above the scanned tree (a checkout under /var, which is
// /private/var on macOS), and through none of its own: then a path outside the
// tree, such as a kustomization's ../../base, was reached by its name, and
// kustomize's own rules decide whether it may be read.
func (r treeRules) reachedWithoutLinks(l, real string) bool {
	for _, root := range []string{r.absRoot, r.root} {
		a := commonAncestor(l, root)
		ra, err := filepath.EvalSymlinks(a)
		if err != nil {
			continue
		}
		rel, err := filepath.Rel(a, l)
		if err == nil && filepath.Join(ra, rel) == real {
			return true
		}
	}
	return false
}

// commonAncestor is the deepest directory that holds both clean absolute paths.
func commonAncestor(a, b string) string {
	for !within(b, a) {
		parent := filepath.Dir(a)
		if parent == a {
			break
		}
		a = parent
	}
	return a
}

// linkProblem says why the symbolic link p, whose target resolves to real, is not
// followed, or returns "".
func (r treeRules) linkProblem(p, real string) string {
	switch {
	case isSpecial(real):
		return fmt.Sprintf("a symbolic link to %s, which is never read", linkTarget(p, real))
	case !r.followSymlinks && !within(real, r.root):
		return fmt.Sprintf("a symbolic link to %s, outside the scanned tree (--follow-symlinks reads it)", linkTarget(p, real))
	}
	return ""
}

// linkTarget shows where the link p leads: its target as written, and where that
// resolves to when it is relative or passes through other links. A link into /proc
// is shown as written: /proc/self/environ, not the process number it resolves to.
func linkTarget(p, real string) string {
	t, err := os.Readlink(p)
	if err != nil || t == real {
		return real
	}
	if isSpecial(real) && filepath.IsAbs(t) {
		return t
	}
	return fmt.Sprintf("%s (%s)", t, real)
}

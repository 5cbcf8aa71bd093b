package node

import (
	"io/fs"
	"path"
	"slices"
	"strconv"

	"github.com/moat-dev/moat/internal/node/componentdata"
)

// Host is what was read on one machine: the component processes found and every file
// they or the benchmark name. It is complete when Load returns; nothing reads the
// machine afterwards.
type Host struct {
	// Name is the node's name: --node-name, else the kubelet's --hostname-override,
	// else the machine's hostname.
	Name string
	// Layout is the distribution's file layout the defaults come from (kubeadm, k3s, rke2).
	Layout *Layout
	// Release is the Kubernetes release whose flag defaults apply.
	Release *componentdata.Release
	// Components are the component processes found, at most one per kind (the first
	// one found; Load warns about others).
	Components []*Component
	// Files are keyed by the path as the machine names it (not joined with the root
	// that Load read under).
	Files map[string]*File
	// Users and Groups are the names of /etc/passwd and /etc/group by id.
	Users, Groups map[int]string
	// Warnings are what Load could not do but worked around.
	Warnings []string
}

// FilesExamined says whether Load read the machine's files; components read through
// the API (FromCluster) come without them.
func (h *Host) FilesExamined() bool { return h != nil && h.Files != nil }

// Component returns the component of a kind, or nil when it is not running here.
func (h *Host) Component(kind string) *Component {
	for _, c := range h.Components {
		if c.Kind == kind {
			return c
		}
	}
	return nil
}

// File returns what was read of path; a path Load did not look at is reported as
// unknown (nil), which checks treat as "not examined", never as a pass.
func (h *Host) File(path string) *File {
	if h == nil || path == "" {
		return nil
	}
	return h.Files[cleanPath(path)]
}

// Owner names a file's owner and group as "user:group", numeric where the name is unknown.
func (h *Host) Owner(f *File) string {
	return nameOf(h.Users, f.UID) + ":" + nameOf(h.Groups, f.GID)
}

func nameOf(names map[int]string, id int) string {
	if n, ok := names[id]; ok {
		return n
	}
	return itoa(id)
}

// File is one file or directory as it was found.
type File struct {
	Path string
	// Exists is false for a path that is named but absent.
	Exists bool
	Dir    bool
	// Mode holds the permission bits (0o644).
	Mode     fs.FileMode
	UID, GID int
	// Content is the file's bytes for files a check reads (configuration files,
	// certificates, kubeconfigs); nil for others, for private keys and for files over
	// the size limit.
	Content []byte
	// Entries are, for a directory Load walked, the paths of the files beneath it.
	Entries []string
	// Err says why the file could not be examined (permission, too large, not regular).
	Err string
	// keyDropped is set when the content was a private key, not kept.
	keyDropped bool
}

// ModeAtMost says whether f grants nothing beyond max (0o600 allows 0o600, 0o400, 0o000).
func (f *File) ModeAtMost(max fs.FileMode) bool { return f.Mode.Perm()&^max == 0 }

func cleanPath(p string) string {
	if p == "" {
		return ""
	}
	return path.Clean("/" + p)
}

func itoa(i int) string { return strconv.Itoa(i) }

// sortedKeys is the keys of m in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

package kubetest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// fileOptions are the mode and owner of the files the harness writes: the
// certificates and keys beneath PKI and the admin kubeconfig.
type fileOptions struct {
	mode     fs.FileMode // 0: 0600
	owned    bool
	uid, gid int
}

// WithFileMode writes the cluster's certificates, keys and admin kubeconfig
// with mode (exactly, whatever the umask) instead of 0600: for tests of what
// a node checker says about them. Dir itself stays private to the test's user.
func WithFileMode(mode fs.FileMode) Option {
	return func(o *options) { o.files.mode = mode.Perm() }
}

// WithFileOwner makes uid:gid the owner of the cluster's certificates, keys,
// PKI directory and admin kubeconfig. Changing a file's owner needs root (or
// CAP_CHOWN): Start fails without it. The programs run as the test's user;
// as root they read the files whoever owns them.
func WithFileOwner(uid, gid int) Option {
	return func(o *options) { o.files.owned, o.files.uid, o.files.gid = true, uid, gid }
}

func (o fileOptions) fileMode() fs.FileMode {
	if o.mode == 0 {
		return 0o600
	}
	return o.mode
}

// write writes a file with the chosen mode and owner.
func (o fileOptions) write(path string, data []byte) error {
	if err := os.WriteFile(path, data, o.fileMode()); err != nil {
		return err
	}
	return o.apply(path)
}

// mkdir makes a directory private to its owner, with the chosen owner.
func (o fileOptions) mkdir(path string) error {
	if err := os.Mkdir(path, 0o700); err != nil {
		return err
	}
	return o.chown(path)
}

// apply gives an existing file the chosen mode and owner; os.WriteFile's mode
// is reduced by the umask and leaves the mode of a file that exists as it was.
func (o fileOptions) apply(path string) error {
	if err := os.Chmod(path, o.fileMode()); err != nil {
		return err
	}
	return o.chown(path)
}

func (o fileOptions) chown(path string) error {
	if !o.owned {
		return nil
	}
	if err := os.Chown(path, o.uid, o.gid); err != nil {
		return fmt.Errorf("kubetest: WithFileOwner(%d, %d): %w", o.uid, o.gid, err)
	}
	return nil
}

// linkBinaries makes dir/<component> symbolic links to the binaries and
// returns their paths in place of the binaries'.
func linkBinaries(dir string, b Binaries) (Binaries, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return b, err
	}
	link := func(name, target string) (string, error) {
		if target == "" {
			return "", nil // not found; Start reports it when it is needed
		}
		abs, err := filepath.Abs(target)
		if err != nil {
			return "", err
		}
		p := filepath.Join(dir, name)
		return p, os.Symlink(abs, p)
	}
	var errs [3]error
	b.Etcd, errs[0] = link("etcd", b.Etcd)
	b.APIServer, errs[1] = link("kube-apiserver", b.APIServer)
	b.ControllerManager, errs[2] = link("kube-controller-manager", b.ControllerManager)
	return b, errors.Join(errs[:]...)
}

package kubetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// KubernetesVersion is the k8s.io/kubernetes release that test/kube/go.mod pins
// and scripts/kube-binaries.sh builds; cached binaries carry it in their name.
const KubernetesVersion = "v1.37.2"

// Environment variables that name the binaries or change where they are found.
const (
	EnvAPIServer         = "MOAT_KUBE_APISERVER"
	EnvControllerManager = "MOAT_KUBE_CONTROLLER_MANAGER"
	EnvEtcd              = "MOAT_ETCD"
	EnvCache             = "MOAT_KUBE_CACHE"
	// EnvE2E set to 1 turns a missing binary into a test failure.
	EnvE2E = "MOAT_E2E"
	// EnvKeep set to 1 keeps a cluster's directory after it stops.
	EnvKeep = "MOAT_KUBE_KEEP"
)

// Binaries are the paths of the programs a cluster runs. ControllerManager is
// empty when it was not found; it is only needed by WithControllerManager.
type Binaries struct {
	Etcd              string
	APIServer         string
	ControllerManager string
}

// ErrMissing wraps every error of LookupBinaries about a binary that is absent.
var ErrMissing = errors.New("kubetest: binary missing")

// LookupBinaries finds etcd and kube-apiserver, and kube-controller-manager
// when present. Each comes from its environment variable when set, else
// kube-apiserver and kube-controller-manager from the cache directory (see
// CacheDir) and etcd from PATH.
func LookupBinaries() (Binaries, error) {
	var b Binaries
	var errs []error
	var err error
	if b.Etcd, err = lookup(EnvEtcd, "", "etcd"); err != nil {
		errs = append(errs, err)
	}
	cache, cacheErr := CacheDir()
	if b.APIServer, err = lookup(EnvAPIServer, cache, "kube-apiserver"); err != nil {
		errs = append(errs, err)
	}
	// An absent controller manager is reported by Start when an option asks for it.
	b.ControllerManager, _ = lookup(EnvControllerManager, cache, "kube-controller-manager")
	if len(errs) > 0 && cacheErr != nil {
		errs = append(errs, cacheErr)
	}
	if len(errs) > 0 {
		errs = append(errs, errors.New("run `make e2e-deps` to install etcd and build the Kubernetes binaries"))
	}
	return b, errors.Join(errs...)
}

// lookup finds one program: $env, else cache/program-KubernetesVersion when
// cache is set, else program on PATH when cache is empty.
func lookup(env, cache, program string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %v", ErrMissing, env, p, err)
		}
		return p, nil
	}
	if program == "etcd" {
		p, err := exec.LookPath(program)
		if err != nil {
			return "", fmt.Errorf("%w: etcd is not on PATH and %s is not set", ErrMissing, env)
		}
		return p, nil
	}
	if cache == "" {
		return "", fmt.Errorf("%w: %s is not set and there is no cache directory", ErrMissing, env)
	}
	p := filepath.Join(cache, program+"-"+KubernetesVersion)
	if err := executable(p); err != nil {
		return "", fmt.Errorf("%w: %s is not set and %s is not built", ErrMissing, env, p)
	}
	return p, nil
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}

// CacheDir is where scripts/kube-binaries.sh caches binaries: $MOAT_KUBE_CACHE,
// else .cache/kube under the repository root, which is found by walking up
// from the working directory to the directory that holds test/kube/go.mod.
func CacheDir() (string, error) {
	if d := os.Getenv(EnvCache); d != "" {
		return d, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".cache", "kube"), nil
}

// RepoRoot is the nearest directory at or above the working directory that
// holds test/kube/go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "test", "kube", "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("kubetest: no test/kube/go.mod above the working directory; set %s", EnvCache)
		}
		dir = parent
	}
}

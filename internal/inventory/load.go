package inventory

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Options steer how paths are turned into objects.
type Options struct {
	// HelmValues are values files for charts (helm -f); HelmSet are key=value pairs (helm --set).
	HelmValues []string
	HelmSet    []string
	// Namespace is the release namespace for charts; empty means "default".
	Namespace string
	// Stdin is read for the path "-".
	Stdin io.Reader
}

// manifestExt are the file endings read as manifests in a directory walk.
var manifestExt = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// Load reads every path: a file, a directory (recursively), "-" for standard input, a
// Helm chart directory or a Kustomize directory. Kinds are detected, not flagged.
// Problems are collected in the inventory's Errors; the rest is still read.
func Load(paths []string, opt Options) *Inventory {
	l := &loader{inv: NewInventory(nil), opt: opt}
	for _, p := range paths {
		l.path(p)
	}
	return l.inv
}

// loader is one Load: the inventory it fills and what its inputs share.
type loader struct {
	inv *Inventory
	opt Options

	// The values of --helm-values and --set, read once for every chart.
	helmOnce sync.Once
	helmVals map[string]any
	helmErrs []error
}

func (l *loader) add(objs []*Object, errs []error) {
	l.inv.Add(objs...)
	l.inv.Errors = append(l.inv.Errors, errs...)
}

func (l *loader) path(p string) {
	if p == "-" {
		in := l.opt.Stdin
		if in == nil {
			in = os.Stdin
		}
		l.add(Decode(in, "<stdin>"))
		return
	}
	st, err := os.Stat(p)
	if err != nil {
		l.add(nil, []error{&Error{File: filepath.ToSlash(p), Err: unwrapPathError(err)}})
		return
	}
	if !st.IsDir() {
		l.add(DecodeFile(p))
		return
	}
	switch {
	case IsChart(p):
		l.chart(p)
	case IsKustomization(p):
		l.add(buildKustomization(p))
	default:
		l.dir(p)
	}
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// dir walks a directory. A chart directory is rendered and not descended into, and
// so is a Kustomize directory. Kustomize directories are built only when no other
// kustomization in the walk uses them as a base or component: an overlay is what
// gets applied, its bases are part of it. Hidden directories are skipped.
func (l *loader) dir(root string) {
	var files, charts, kusts []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			l.add(nil, []error{&Error{File: filepath.ToSlash(p), Err: unwrapPathError(err)}})
			return nil
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			if IsChart(p) {
				charts = append(charts, p)
				return fs.SkipDir
			}
			if IsKustomization(p) {
				kusts = append(kusts, p)
				return fs.SkipDir
			}
			return nil
		}
		if manifestExt[strings.ToLower(filepath.Ext(p))] {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		l.add(nil, []error{&Error{File: filepath.ToSlash(root), Err: err}})
	}
	sort.Strings(files)
	for _, f := range files {
		l.add(DecodeFile(f))
	}
	for _, c := range charts {
		l.chart(c)
	}
	for _, k := range kustomizationRoots(kusts) {
		l.add(buildKustomization(k))
	}
}

// IsChart reports a Helm chart directory.
func IsChart(dir string) bool { return exists(filepath.Join(dir, "Chart.yaml")) }

// kustomizationFiles are the names kustomize accepts, in its order of preference.
var kustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// IsKustomization reports a Kustomize directory.
func IsKustomization(dir string) bool {
	for _, n := range kustomizationFiles {
		if exists(filepath.Join(dir, n)) {
			return true
		}
	}
	return false
}

func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

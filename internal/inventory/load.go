package inventory

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
	inv := NewInventory(nil)
	for _, p := range paths {
		loadPath(inv, p, opt)
	}
	return inv
}

func loadPath(inv *Inventory, p string, opt Options) {
	if p == "-" {
		in := opt.Stdin
		if in == nil {
			in = os.Stdin
		}
		objs, errs := Decode(in, "<stdin>")
		inv.Add(objs...)
		inv.Errors = append(inv.Errors, errs...)
		return
	}
	st, err := os.Stat(p)
	if err != nil {
		inv.Errors = append(inv.Errors, &Error{File: p, Err: unwrapPathError(err)})
		return
	}
	if !st.IsDir() {
		loadFile(inv, p)
		return
	}
	switch {
	case IsChart(p):
		loadChart(inv, p, opt)
	case IsKustomization(p):
		loadKustomization(inv, p)
	default:
		loadDir(inv, p, opt)
	}
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func loadFile(inv *Inventory, p string) {
	f, err := os.Open(p)
	if err != nil {
		inv.Errors = append(inv.Errors, &Error{File: p, Err: unwrapPathError(err)})
		return
	}
	defer f.Close()
	objs, errs := Decode(f, filepath.ToSlash(p))
	inv.Add(objs...)
	inv.Errors = append(inv.Errors, errs...)
}

// loadDir walks a directory. A chart directory is rendered and not descended into.
// Kustomize directories are built only when no other kustomization in the walk
// uses them as a base: an overlay is what gets applied, its bases are part of it.
func loadDir(inv *Inventory, root string, opt Options) {
	var files, charts, kusts []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			inv.Errors = append(inv.Errors, &Error{File: p, Err: unwrapPathError(err)})
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
		inv.Errors = append(inv.Errors, &Error{File: root, Err: err})
	}
	sort.Strings(files)
	for _, f := range files {
		loadFile(inv, f)
	}
	for _, c := range charts {
		loadChart(inv, c, opt)
	}
	for _, k := range kustomizationRoots(kusts) {
		loadKustomization(inv, k)
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

func errorf(file string, format string, args ...any) error {
	return &Error{File: file, Err: fmt.Errorf(format, args...)}
}

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
	"sync"
	"time"
)

// Options steer how paths are turned into objects.
type Options struct {
	// HelmValues are values files for charts (helm -f); HelmSet are key=value pairs (helm --set).
	HelmValues []string
	HelmSet    []string
	// Namespace is the release namespace for charts and the namespace of every
	// namespaced object written without one, as `kubectl apply -n` and `helm template
	// -n` place them; empty means "default".
	Namespace string
	// KubeVersion is the Kubernetes version charts are rendered for
	// (.Capabilities.KubeVersion) and whose built-in RBAC roles a file scan assumes,
	// "1.N" or "v1.N.P"; empty means DefaultKubeVersion.
	KubeVersion string
	// APIVersions are further API versions charts see in .Capabilities.APIVersions
	// ("group/version" or "group/version/Kind"), beside every version KubeVersion serves.
	APIVersions []string
	// Stdin is read for the path "-".
	Stdin io.Reader

	// FollowSymlinks follows symbolic links whose target is outside the scanned tree
	// (the directory named on the command line; for a chart, the chart). Without it
	// such a link is skipped with a warning in a directory walk, and is an error in a
	// chart or an overlay. Links into /proc, /sys or /dev, and files that are not
	// regular (FIFOs, devices, sockets), are never read from a tree either way.
	FollowSymlinks bool
	// AllowRemote lets a scan read the network: Kustomize resources, bases and
	// components named by URL (http(s), git, ssh, github.com/..., and file:// git
	// URLs, which clone a repository from outside the tree), helmCharts with a repo
	// that are not vendored, and http(s) $refs of a chart's values.schema.json.
	// Without it each is an error that names the URL. With it every fetch is bounded
	// in time (2 minutes for a kustomization, 15 s per schema).
	AllowRemote bool
	// EnableHelm lets kustomizations inflate their helmCharts by running the helm
	// binary found on PATH, as `kustomize build --enable-helm` does. Without it a
	// kustomization with helmCharts is an error that says so.
	EnableHelm bool
	// RenderTimeout bounds the rendering of one Helm chart; 0 means
	// DefaultRenderTimeout. Rendering is also bounded in memory (1 GiB) and in output
	// (64 MiB); a chart past any bound is an error naming its Chart.yaml.
	RenderTimeout time.Duration
}

// manifestExt are the file endings read as manifests in a directory walk.
var manifestExt = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// Load reads every path: a file, a directory (recursively), "-" for standard input, a
// Helm chart directory or a Kustomize directory. Kinds are detected, not flagged.
// Problems are collected in the inventory's Errors; the rest is still read. An
// object defined more than once is named in a warning (see Inventory.Add).
func Load(paths []string, opt Options) *Inventory {
	l := &loader{inv: NewInventory(nil), opt: opt, kustRead: map[string]bool{}}
	for _, p := range paths {
		l.path(p)
	}
	setNamespace(l.inv, opt.Namespace)
	if opt.Namespace != "" {
		l.inv.reindex() // -n moved objects written without a namespace
	}
	l.inv.Warnings = append(l.inv.Warnings, l.inv.duplicateWarnings()...)
	return l.inv
}

// loader is one Load: the inventory it fills and what its inputs share.
type loader struct {
	inv *Inventory
	opt Options

	// The values of --helm-values and --set, read once for every chart.
	helmOnce sync.Once
	helmVals wireValue
	helmErrs []error

	// kustRead holds the real path of every file a kustomize build read.
	kustRead map[string]bool
}

func (l *loader) add(objs []*Object, errs []error) {
	l.inv.Add(objs...)
	l.inv.Errors = append(l.inv.Errors, errs...)
}

func (l *loader) warn(format string, args ...any) {
	l.inv.Warnings = append(l.inv.Warnings, fmt.Sprintf(format, args...))
}

func (l *loader) fail(p string, err error) {
	l.add(nil, []error{&Error{File: filepath.ToSlash(p), Err: unwrapPathError(err)}})
}

// path reads one PATH of the command line. A file named there is read as named: a
// symbolic link is followed, and a FIFO — `moat scan <(helm template ...)` — is read
// like standard input, up to MaxStreamBytes. Opening a FIFO waits for its writer, as
// cat does. Devices and sockets are refused.
func (l *loader) path(p string) {
	if p == "-" {
		in := l.opt.Stdin
		if in == nil {
			in = os.Stdin
		}
		l.add(decodeBounded(in, "<stdin>"))
		return
	}
	st, err := os.Stat(p)
	if err != nil {
		l.fail(p, err)
		return
	}
	switch m := st.Mode(); {
	case m.IsDir():
		l.dir(p)
	case m.IsRegular():
		l.add(DecodeFile(p))
	case m&fs.ModeNamedPipe != 0:
		f, err := os.Open(p)
		if err != nil {
			l.fail(p, err)
			return
		}
		defer f.Close()
		l.add(decodeBounded(f, filepath.ToSlash(p)))
	default:
		l.fail(p, fmt.Errorf("not read: %s, not a regular file or a FIFO", fileKind(m)))
	}
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// owner is a chart or kustomization directory met in a walk, with the manifest
// files that lie under it and under no deeper chart or kustomization.
type owner struct {
	dir   string
	chart bool
	files []string
	// skip says its files are not scanned even when it does not use them: it failed
	// (the error says what was not scanned), or it is a Component nothing uses.
	skip bool
	// patterns are the names and globs a chart's templates read with .Files.
	patterns []string
}

// dir walks a directory. Charts are rendered and kustomizations built where they
// are found; kustomizations only when no other kustomization in the walk uses them
// as a resource, base or component: an overlay is what gets applied, its bases are
// part of it. Hidden directories are skipped, and so is what files.go says is
// never read.
//
// A chart or a kustomization does not hide the files beside it: a manifest under a
// chart that is not one of its templates, CRDs or dependencies (nor read by its
// templates through .Files), or under a kustomization that no build in the scan
// read, is scanned as a plain manifest when it holds Kubernetes objects, and a
// warning names it. A file of the walk that holds no Kubernetes object at all is
// skipped (see plainFile). A bare Chart.yaml or a `resources: []` kustomization at the top
// of a tree of manifests once made a scan of it report 0 objects.
func (l *loader) dir(root string) {
	root = filepath.Clean(root)
	rules := newTreeRules(root, l.opt.FollowSymlinks)
	walkRoot := root
	if fi, err := os.Lstat(root); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		walkRoot = root + string(filepath.Separator) // walk the directory the link names
	}
	var plain []string
	var owners []*owner
	byDir := map[string]*owner{}
	chartHomes := map[string]bool{} // charts kustomizations inflate with helmCharts
	nearest := func(p string) *owner {
		for d := filepath.Dir(p); ; d = filepath.Dir(d) {
			if o := byDir[d]; o != nil {
				return o
			}
			if d == root || d == filepath.Dir(d) {
				return nil
			}
		}
	}
	err := filepath.WalkDir(walkRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			l.fail(p, err)
			return nil
		}
		if p == walkRoot {
			p = root
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			if chartHomes[p] {
				return fs.SkipDir
			}
			if parent := byDir[filepath.Dir(p)]; parent != nil && parent.chart && p != root {
				switch d.Name() {
				case "templates", "crds", "charts":
					return fs.SkipDir // the chart's own: rendered with it
				}
			}
			switch {
			case IsChart(p):
				o := &owner{dir: p, chart: true}
				owners, byDir[p] = append(owners, o), o
			case IsKustomization(p):
				o := &owner{dir: p}
				owners, byDir[p] = append(owners, o), o
				if home := helmChartHome(p); home != "" {
					chartHomes[home] = true
				}
			}
			return nil
		}
		if !manifestExt[strings.ToLower(filepath.Ext(p))] || !l.readable(p, d, rules) {
			return nil
		}
		if o := nearest(p); o != nil {
			o.files = append(o.files, p)
		} else {
			plain = append(plain, p)
		}
		return nil
	})
	if err != nil {
		l.fail(root, err)
	}
	sort.Strings(plain)
	for _, f := range plain {
		l.plainFile(f)
	}
	var kusts []string
	for _, o := range owners {
		if o.chart {
			ok, patterns := l.chart(o.dir)
			o.skip, o.patterns = !ok, patterns
		} else {
			kusts = append(kusts, o.dir)
		}
	}
	g := kustomizationGraph(kusts)
	failed := map[string]bool{}
	for _, k := range g.roots {
		if !l.kustomize(k, rules) {
			failed[k] = true
		}
	}
	for _, o := range owners {
		if o.chart {
			continue
		}
		if g.unusedComponent(o.dir) {
			why := "a Kustomize Component, built only as part of an overlay, and no kustomization in the scan uses it"
			l.warn("%s: %s; not scanned", filepath.ToSlash(o.dir), why)
			l.skip(o.dir, why)
			o.skip = true
			continue
		}
		o.skip = g.reachesFailed(o.dir, failed)
	}
	for _, o := range owners {
		l.unused(o)
	}
}

// plainFile reads a manifest file met in a directory walk. A file none of whose
// documents is a Kubernetes object (a CI workflow, a package.json, a values file
// outside a chart, a test's expectations) is skipped, not an error: any repository
// holds such files beside its manifests. A file that holds an object keeps the
// errors of its other documents, as kubectl would fail on them; a document with an
// apiVersion or a kind that does not decode is an error wherever it is.
func (l *loader) plainFile(p string) {
	objs, errs := DecodeFile(p)
	if why := nothingToScan(objs, errs); why != "" {
		l.skip(p, why)
		return
	}
	l.add(objs, errs)
}

// nothingToScan says why a file whose documents decoded to objs and errs holds no
// Kubernetes object, or returns "" when it holds one or a document that looks like
// one.
func nothingToScan(objs []*Object, errs []error) string {
	if len(objs) > 0 || len(errs) == 0 {
		return ""
	}
	for _, e := range errs {
		if !docErrorIs[*notObjectError](e) {
			return ""
		}
	}
	var first *Error
	errors.As(errs[0], &first)
	return first.Err.Error()
}

// skip records an input that was read and holds nothing to scan.
func (l *loader) skip(p, why string) {
	l.inv.Skipped = append(l.inv.Skipped, Skipped{Path: filepath.ToSlash(p), Reason: why})
}

// readable reports whether a manifest file met in a walk is read, and warns about
// each one that is not.
func (l *loader) readable(p string, d fs.DirEntry, rules treeRules) bool {
	name := filepath.ToSlash(p)
	m := d.Type()
	if m&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			l.fail(p, err)
			return false
		}
		if why := rules.linkProblem(p, real); why != "" {
			l.warn("skipped %s: %s", name, why)
			return false
		}
		st, err := os.Stat(real)
		if err != nil {
			l.fail(p, err)
			return false
		}
		if !st.Mode().IsRegular() {
			l.warn("skipped %s: a symbolic link to %s, %s, not a regular file", name, real, fileKind(st.Mode()))
			return false
		}
		return true
	}
	if !m.IsRegular() {
		l.warn("skipped %s: %s, not a regular file", name, fileKind(m))
		return false
	}
	return true
}

// chartMetaFiles are the files of a chart that are its description, not objects.
var chartMetaFiles = map[string]bool{
	"Chart.yaml": true, "Chart.lock": true, "values.yaml": true, "values.yml": true,
	"values.schema.json": true, "requirements.yaml": true, "requirements.lock": true,
}

// unused scans, as plain manifests, the files under a chart or kustomization that
// it did not use and that hold Kubernetes objects, and warns once for all of them.
func (l *loader) unused(o *owner) {
	if o.skip {
		return
	}
	var names []string
	for _, f := range o.files {
		rel, err := filepath.Rel(o.dir, f)
		if err != nil {
			rel = f
		}
		rel = filepath.ToSlash(rel)
		if o.chart && (chartMetaFiles[rel] || matchesFilePattern(rel, o.patterns)) {
			continue
		}
		if !o.chart && l.kustRead[realPath(f)] {
			continue
		}
		objs, errs := DecodeFile(f)
		if !looksLikeObjects(objs, errs) {
			continue // values files, test suites, configuration, templates of other tools
		}
		l.add(objs, errs)
		if len(objs) > 0 { // the errors name the others
			names = append(names, rel)
		}
	}
	if len(names) == 0 {
		return
	}
	what, files := "the Helm chart does not render", "files hold"
	if !o.chart {
		what = "no kustomization in the scan uses"
	}
	if len(names) == 1 {
		files = "file holds"
	}
	l.warn("%s: %d %s Kubernetes objects that %s; scanned as plain manifests: %s",
		filepath.ToSlash(o.dir), len(names), files, what, strings.Join(names, ", "))
}

// looksLikeObjects reports whether a file under a chart or kustomization holds a
// Kubernetes object, or a document that has an apiVersion or a kind and does not
// decode: that is reported, not dropped. Documents that are not objects, or not
// YAML at all, are the tree's other files.
func looksLikeObjects(objs []*Object, errs []error) bool {
	if len(objs) > 0 {
		return true
	}
	for _, e := range errs {
		if !docErrorIs[*notObjectError](e) && !docErrorIs[*syntaxError](e) {
			return true
		}
	}
	return false
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

// exists reports a regular file (a FIFO named Chart.yaml makes no chart).
func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

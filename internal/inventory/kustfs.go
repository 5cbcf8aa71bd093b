package inventory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"
)

// kustFS is the file system a kustomize build reads through. It is the disk, with
// the rules of files.go and three more duties:
//
//   - It refuses what a static scan must not read: files that are not regular (a
//     FIFO listed as a resource or named kustomization.yaml hung the scan), paths
//     under /proc, /sys and /dev, and symbolic links whose target leaves the
//     scanned tree. Kustomize itself confines each kustomization's files to its
//     directory after resolving links, but follows a base or a resource file that
//     is a link to anywhere; a path reached without links (../../base) is left to
//     kustomize's own rules.
//   - It reads every kustomization file before kustomize does, and refuses one that
//     names a remote resource, base, component, patch, configuration or generator
//     source (http(s), git, ssh, github.com/... and file:// git URLs) unless
//     AllowRemote, or helmCharts unless EnableHelm. Kustomize fetches URLs with an
//     HTTP client that has no timeout and clones repositories with git, neither
//     through the file system, so they are caught where the kustomization that
//     names them is read, before kustomize acts on it.
//   - It records the real path of every file read (a walk scans the files no build
//     read as plain manifests), and adds originAnnotations to the buildMetadata of
//     the kustomization being built (see withOriginAnnotations).
type kustFS struct {
	filesys.FileSystem
	rules       treeRules
	roots       []string // the directory being built: as named (absolute) and resolved
	allowRemote bool
	enableHelm  bool

	mu      sync.Mutex
	added   bool            // originAnnotations were asked for by Moat, not by the kustomization
	read    map[string]bool // real paths of the files read
	refused error           // the first read refused, reported instead of kustomize's wrapping of it
	// warnings are kustomize's own warnings about the kustomizations read (deprecated
	// fields), each with its file: kustomize prints them to the process's stderr, so
	// the file system hands kustomize each kustomization already fixed, as kustomize
	// would fix it, and keeps the warnings for Moat's own.
	warnings []string
}

func (f *kustFS) refuse(err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refused == nil {
		f.refused = err
	}
	return err
}

// check applies the rules of the tree to p and returns its resolved path.
func (f *kustFS) check(p string) (string, error) {
	l, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if isSpecial(l) {
		return "", f.refuse(fmt.Errorf("%s: under /%s, which is never read", displayPath(l), strings.Split(filepath.ToSlash(l), "/")[1]))
	}
	real, err := filepath.EvalSymlinks(l)
	if err != nil {
		return l, nil // the file system says what is wrong
	}
	if real != l && (isSpecial(real) || !f.rules.reachedWithoutLinks(l, real)) {
		if why := f.rules.linkProblem(l, real); why != "" {
			return "", f.refuse(fmt.Errorf("%s: %s", displayPath(l), why))
		}
	}
	return real, nil
}

func (f *kustFS) ReadFile(p string) ([]byte, error) {
	real, err := f.check(p)
	if err != nil {
		return nil, err
	}
	data, err := readRegular(p)
	if err != nil {
		var nr *errNotRegular
		if errors.As(err, &nr) && !nr.mode.IsDir() { // kustomize tries a directory as a file first
			return nil, f.refuse(fmt.Errorf("%s: %v", displayPath(p), err))
		}
		return nil, err
	}
	f.mu.Lock()
	f.read[real] = true
	f.mu.Unlock()
	base := filepath.Base(p)
	if !isKustomizationName(base) {
		if err := checkFileAliasExpansion(data); err != nil {
			return nil, f.refuse(fmt.Errorf("%s: %v", displayPath(p), err))
		}
		return data, nil
	}
	if err := f.checkKustomization(p, data); err != nil {
		return nil, f.refuse(err)
	}
	data = f.fixDeprecated(p, data)
	if !f.isRoot(filepath.Dir(filepath.Clean(p))) {
		return data, nil
	}
	out, added := withOriginAnnotations(data)
	if added {
		f.mu.Lock()
		f.added = true
		f.mu.Unlock()
	}
	return out, nil
}

func (f *kustFS) Open(p string) (filesys.File, error) {
	if _, err := f.check(p); err != nil {
		return nil, err
	}
	if st, err := os.Stat(p); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		return nil, f.refuse(fmt.Errorf("%s: %v", displayPath(p), &errNotRegular{st.Mode()}))
	}
	return f.FileSystem.Open(p)
}

func (f *kustFS) IsDir(p string) bool {
	if _, err := f.check(p); err != nil {
		return false
	}
	return f.FileSystem.IsDir(p)
}

func (f *kustFS) Exists(p string) bool {
	if _, err := f.check(p); err != nil {
		return false
	}
	return f.FileSystem.Exists(p)
}

func (f *kustFS) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	if _, err := f.check(p); err != nil {
		return "", "", err
	}
	return f.FileSystem.CleanedAbs(p)
}

func (f *kustFS) ReadDir(p string) ([]string, error) {
	if _, err := f.check(p); err != nil {
		return nil, err
	}
	return f.FileSystem.ReadDir(p)
}

func (f *kustFS) isRoot(dir string) bool {
	for _, r := range f.roots {
		if dir == r {
			return true
		}
	}
	return false
}

func isKustomizationName(base string) bool {
	for _, n := range kustomizationFiles {
		if base == n {
			return true
		}
	}
	return false
}

// remoteRefError is a reference of a kustomization that a scan does not follow.
type remoteRefError struct {
	file, field, ref, why string
}

func (e *remoteRefError) Error() string {
	return fmt.Sprintf("%s: %s %q: %s", displayPath(e.file), e.field, e.ref, e.why)
}

const notFetched = "not fetched: a static scan reads no network and nothing outside the tree (--allow-remote fetches it)"

// checkKustomization refuses a kustomization that names what the options do not
// allow: remote references, and helmCharts.
// fixDeprecated returns a kustomization with its deprecated fields (bases,
// patchesStrategicMerge, commonLabels, vars, ...) rewritten by kustomize's own
// FixKustomization, and records kustomize's warning for each, naming the file. What
// kustomize builds is unchanged: it applies the same fix after printing the warnings.
// A kustomization that does not decode is returned as it is, for kustomize to report.
func (f *kustFS) fixDeprecated(file string, data []byte) []byte {
	var k types.Kustomization
	if k.Unmarshal(data) != nil {
		return data
	}
	msgs := k.CheckDeprecatedFields()
	if msgs == nil || len(*msgs) == 0 {
		return data
	}
	k.FixKustomization()
	// The rest of `kustomize edit fix`: patches and commonLabels into their new fields,
	// patch files found relative to the kustomization, as kustomize finds them.
	if k.FixKustomizationPreMarshalling(dirFS{FileSystem: f, dir: filepath.Dir(file)}) != nil {
		return data
	}
	fixed, err := sigsyaml.Marshal(&k)
	if err != nil {
		return data
	}
	f.mu.Lock()
	for _, m := range *msgs {
		f.warnings = append(f.warnings, fmt.Sprintf("%s: kustomize: %s", displayPath(file), strings.TrimSpace(strings.TrimPrefix(m, "# Warning:"))))
	}
	f.mu.Unlock()
	return fixed
}

// dirFS reads relative paths from dir.
type dirFS struct {
	filesys.FileSystem
	dir string
}

func (d dirFS) ReadFile(p string) ([]byte, error) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(d.dir, p)
	}
	return d.FileSystem.ReadFile(p)
}

func (f *kustFS) checkKustomization(file string, data []byte) error {
	var k types.Kustomization
	if sigsyaml.Unmarshal(data, &k) != nil {
		return nil // kustomize says what is wrong with it
	}
	if !f.allowRemote {
		for _, r := range kustomizationRefs(&k) {
			if isRemoteRef(r.ref) {
				return &remoteRefError{file: file, field: r.field, ref: r.ref, why: notFetched}
			}
		}
	}
	if len(k.HelmCharts) == 0 && len(k.HelmChartInflationGenerator) == 0 {
		return nil
	}
	if !f.enableHelm {
		return &remoteRefError{file: file, field: "helmCharts", ref: helmChartName(&k), why: "not inflated: it runs the helm binary (--enable-helm inflates it, as kustomize build --enable-helm does)"}
	}
	if f.allowRemote {
		return nil
	}
	// A chart with a repo is pulled unless it is vendored where kustomize looks for it.
	dir := filepath.Dir(file)
	home := "charts"
	if k.HelmGlobals != nil && k.HelmGlobals.ChartHome != "" {
		home = k.HelmGlobals.ChartHome
	}
	if !filepath.IsAbs(home) {
		home = filepath.Join(dir, home)
	}
	for _, c := range k.HelmCharts {
		if c.Repo == "" {
			continue
		}
		local := filepath.Join(home, c.Name)
		if c.Version != "" {
			local = filepath.Join(home, c.Name+"-"+c.Version, c.Name)
		}
		if st, err := os.Stat(local); err != nil || !st.IsDir() {
			return &remoteRefError{file: file, field: "helmCharts repo", ref: c.Repo, why: fmt.Sprintf("chart %q is not vendored under %s and is %s", c.Name, displayPath(home), notFetched)}
		}
	}
	for _, c := range k.HelmChartInflationGenerator {
		if c.ChartRepoURL != "" {
			return &remoteRefError{file: file, field: "helmChartInflationGenerator chartRepoUrl", ref: c.ChartRepoURL, why: notFetched}
		}
	}
	return nil
}

func helmChartName(k *types.Kustomization) string {
	if len(k.HelmCharts) > 0 {
		return k.HelmCharts[0].Name
	}
	return k.HelmChartInflationGenerator[0].ChartName
}

type kustRef struct{ field, ref string }

// kustomizationRefs lists every field of a kustomization that names a file,
// directory or repository.
func kustomizationRefs(k *types.Kustomization) []kustRef {
	var out []kustRef
	list := func(field string, refs []string) {
		for _, r := range refs {
			if !strings.Contains(r, "\n") { // inline YAML, not a reference
				out = append(out, kustRef{field, r})
			}
		}
	}
	list("resources", k.Resources)
	list("bases", k.Bases)
	list("components", k.Components)
	list("crds", k.Crds)
	list("configurations", k.Configurations)
	list("generators", k.Generators)
	list("transformers", k.Transformers)
	list("validators", k.Validators)
	if p := k.OpenAPI["path"]; p != "" {
		list("openapi path", []string{p})
	}
	for _, p := range k.Patches {
		list("patches path", []string{p.Path})
	}
	for _, p := range k.PatchesJson6902 {
		list("patchesJson6902 path", []string{p.Path})
	}
	for _, p := range k.PatchesStrategicMerge {
		list("patchesStrategicMerge", []string{string(p)})
	}
	for _, r := range k.Replacements {
		list("replacements path", []string{r.Path})
	}
	sources := func(field string, s types.KvPairSources) {
		for _, f := range s.FileSources {
			if _, file, ok := strings.Cut(f, "="); ok {
				f = file
			}
			list(field+" files", []string{f})
		}
		list(field+" envs", s.EnvSources)
		list(field+" env", []string{s.EnvSource})
	}
	for _, g := range k.ConfigMapGenerator {
		sources("configMapGenerator", g.KvPairSources)
	}
	for _, g := range k.SecretGenerator {
		sources("secretGenerator", g.KvPairSources)
	}
	for _, c := range k.HelmCharts {
		list("helmCharts valuesFile", []string{c.ValuesFile})
		list("helmCharts additionalValuesFiles", c.AdditionalValuesFiles)
	}
	return out
}

// isRemoteRef reports a reference kustomize would fetch rather than read from the
// tree: a URL with a scheme (http, https, ssh, git, file...), git's scp-like form
// (git@host:org/repo), git:: forcing, and GitHub's short forms.
func isRemoteRef(ref string) bool {
	r := strings.ToLower(strings.TrimSpace(ref))
	if r == "" {
		return false
	}
	switch {
	case strings.Contains(r, "://"), strings.HasPrefix(r, "git::"), strings.HasPrefix(r, "gh:"),
		strings.HasPrefix(r, "github.com/"), strings.HasPrefix(r, "github.com:"):
		return true
	}
	first, _, _ := strings.Cut(r, "/")
	return strings.Contains(first, "@") // user@host:org/repo
}

// displayPath shows an absolute path relative to the working directory when it is
// inside it, as the paths a user names are shown.
func displayPath(p string) string {
	if filepath.IsAbs(p) {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				p = rel
			}
		}
	}
	return filepath.ToSlash(p)
}

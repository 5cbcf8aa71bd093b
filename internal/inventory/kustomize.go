package inventory

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/moat-dev/moat/internal/finding"
)

// originAnnotation is where kustomize records the file an object came from when the
// kustomization asks for buildMetadata: [originAnnotations].
const originAnnotation = "config.kubernetes.io/origin"

// remoteTimeout bounds a kustomize build that may read the network (AllowRemote):
// kustomize's HTTP client has no timeout, and a URL may set its git timeout. A build
// past it is reported and abandoned; its goroutine holds at most what it has read.
var remoteTimeout = 2 * time.Minute

// kustomize builds one kustomization of a walk, within the rules of its tree, and
// reports whether it built.
func (l *loader) kustomize(dir string, rules treeRules) bool {
	objs, errs, read, warnings := buildKustomization(dir, rules, l.opt)
	l.inv.Warnings = append(l.inv.Warnings, warnings...)
	for p := range read {
		l.kustRead[p] = true
	}
	l.add(objs, errs)
	return objs != nil || len(errs) == 0
}

// buildKustomization builds a Kustomize directory as `kustomize build` does (load
// restrictions to the root, no plugins, no network: see kustFS) and maps each object
// back to the file it came from. To learn that, the build asks kustomize for origin
// annotations; when the kustomization did not ask for them itself, they are removed
// again before the objects reach the rules. It returns the real paths of the files
// the build read.
//
// Each object's File is its original resource file (a base's deployment.yaml, not
// the overlay) with the line of its document there, found by kind and name; SourceAt
// then reads lines of that document, so a field set by an overlay's patch points at
// the nearest part of it written in the base. Objects made by generators point at
// the generator in the kustomization that configured them, and objects whose origin
// kustomize cannot tell (remote bases) at the kustomization file that was built.
//
// warnings are kustomize's own (deprecated fields), each naming its kustomization.
func buildKustomization(dir string, rules treeRules, opt Options) ([]*Object, []error, map[string]bool, []string) {
	name := filepath.ToSlash(dir)
	kfile := kustomizationFile(dir)
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, []error{&Error{File: kfile, Err: err}}, nil, nil
	}
	fsys := &kustFS{FileSystem: filesys.MakeFsOnDisk(), rules: rules, roots: []string{abs},
		allowRemote: opt.AllowRemote, enableHelm: opt.EnableHelm, read: map[string]bool{}}
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		fsys.roots = append(fsys.roots, real)
	}
	kopt := krusty.MakeDefaultOptions()
	if opt.EnableHelm {
		kopt.PluginConfig.HelmConfig = types.HelmConfig{Enabled: true, Command: "helm"}
	}
	var m resmap.ResMap
	printed := captureKustomizeLog(func() {
		m, err = runKustomize(krusty.MakeKustomizer(kopt), fsys, abs, opt.AllowRemote)
	})
	fsys.mu.Lock()
	read := maps.Clone(fsys.read)
	refused, added, warnings := fsys.refused, fsys.added, fsys.warnings
	fsys.mu.Unlock()
	warnings = append(warnings, kustomizeLogWarnings(kfile, printed)...)
	if err != nil {
		if refused != nil {
			err = refused // said plainly, not inside kustomize's chain of wrappings
		} else if types.IsErrOnlyBuiltinPluginsAllowed(err) {
			err = fmt.Errorf("%v: Moat runs no exec or container KRM functions and no plugins", err)
		}
		return nil, []error{&Error{File: kfile, Err: fmt.Errorf("kustomize build: %v", err)}}, read, warnings
	}
	loc := &locator{dir: dir, files: map[string][]fileDoc{}}
	origin := "kustomize:" + name
	var objs []*Object
	var errs []error
	for _, r := range m.Resources() {
		from, _ := r.GetOrigin()
		if added {
			if err := r.SetOrigin(nil); err != nil {
				errs = append(errs, &Error{File: kfile, Err: fmt.Errorf("kustomize: %v", err)})
				continue
			}
		}
		js, err := r.MarshalJSON()
		if err != nil {
			errs = append(errs, &Error{File: kfile, Err: fmt.Errorf("kustomize: %s: %v", r.CurId(), err)})
			continue
		}
		src := &finding.Source{File: kfile, Origin: origin}
		// Leniently, as files are: a field of the wrong type is an error and the
		// object is still checked without it.
		o, oerrs := decodeLenient(js, nil, src)
		for _, err := range oerrs {
			errs = append(errs, &Error{File: kfile, Err: fmt.Errorf("kustomize: %v", err)})
		}
		if o == nil {
			continue
		}
		loc.place(o, from)
		objs = append(objs, o)
	}
	if objs == nil {
		objs = []*Object{} // built, if to nothing
	}
	return objs, errs, read, warnings
}

// runKustomize runs a build; one that may read the network is bounded by
// remoteTimeout.
func runKustomize(k *krusty.Kustomizer, fsys filesys.FileSystem, dir string, remote bool) (resmap.ResMap, error) {
	if !remote {
		return k.Run(fsys, dir)
	}
	type result struct {
		m   resmap.ResMap
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := k.Run(fsys, dir)
		done <- result{m, err}
	}()
	t := time.NewTimer(remoteTimeout)
	defer t.Stop()
	select {
	case r := <-done:
		return r.m, r.err
	case <-t.C:
		return nil, fmt.Errorf("took longer than %s reading remote resources and was abandoned", remoteTimeout)
	}
}

// kustomizationFile names the kustomization file of dir, for errors and sources.
func kustomizationFile(dir string) string {
	for _, n := range kustomizationFiles {
		if exists(filepath.Join(dir, n)) {
			return path.Join(filepath.ToSlash(dir), n)
		}
	}
	return path.Join(filepath.ToSlash(dir), kustomizationFiles[0])
}

// withOriginAnnotations adds originAnnotations to a kustomization's buildMetadata.
// It edits the YAML node tree, so every other value keeps its exact text (a label
// written 1.0 stays 1.0). It reports false when the kustomization asked for the
// annotations itself, or cannot be parsed (and kustomize will say why).
func withOriginAnnotations(data []byte) ([]byte, bool) {
	var doc yaml3.Node
	if yaml3.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml3.MappingNode {
		return data, false
	}
	root := doc.Content[0]
	var list *yaml3.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "buildMetadata" {
			list = root.Content[i+1]
		}
	}
	if list == nil {
		list = &yaml3.Node{Kind: yaml3.SequenceNode, Tag: "!!seq"}
		root.Content = append(root.Content, &yaml3.Node{Kind: yaml3.ScalarNode, Tag: "!!str", Value: "buildMetadata"}, list)
	}
	if list.Kind != yaml3.SequenceNode {
		return data, false
	}
	for _, n := range list.Content {
		if n.Value == types.OriginAnnotations {
			return data, false
		}
	}
	list.Content = append(list.Content, &yaml3.Node{Kind: yaml3.ScalarNode, Tag: "!!str", Value: types.OriginAnnotations})
	out, err := yaml3.Marshal(&doc)
	if err != nil {
		return data, false
	}
	return out, true
}

// locator finds the document each built object came from.
type locator struct {
	dir   string
	files map[string][]fileDoc // documents of each original file, read once
}

// fileDoc is one document of an original resource file.
type fileDoc struct {
	kind, name string
	line       int
	text       *docText
}

func (l *locator) place(o *Object, from *resource.Origin) {
	if from != nil && from.Repo == "" {
		if dir, url, ok := remoteFile(from.Path); ok {
			// Fetched by URL (--allow-remote): the kustomization that names it.
			file := kustomizationFile(filepath.Join(l.dir, filepath.FromSlash(dir)))
			o.Source.File = file
			o.Source.Line = lineContaining(file, url)
			return
		}
	}
	switch {
	case from == nil || from.Repo != "" || isRemoteRef(from.Path):
		// kustomize cannot tell, or the file is in a remote repository: the
		// kustomization that was built is the source.
	case from.ConfiguredIn != "":
		file := filepath.Join(l.dir, filepath.FromSlash(from.ConfiguredIn))
		o.Source.File = filepath.ToSlash(file)
		o.Source.Line = generatorLine(file, from.ConfiguredBy.Kind)
	case from.Path != "":
		file := filepath.Join(l.dir, filepath.FromSlash(from.Path))
		o.Source.File = filepath.ToSlash(file)
		if d := l.find(file, o); d != nil {
			o.Source.Line = d.line
			o.text = d.text
		}
	}
}

// remoteFile splits the origin path of a file kustomize fetched over HTTP. Kustomize
// joins the URL to the directory of the kustomization that names it as a path, which
// folds its "://" into ":/" ("../base/https:/host/cm.yaml"); remoteFile returns that
// directory and the URL as written.
func remoteFile(originPath string) (dir, url string, ok bool) {
	p := filepath.ToSlash(originPath)
	for _, scheme := range []string{"http:/", "https:/"} {
		i := strings.Index(p, scheme)
		if i < 0 || i > 0 && p[i-1] != '/' {
			continue
		}
		return strings.TrimSuffix(p[:i], "/"), scheme + "/" + p[i+len(scheme):], true
	}
	return "", "", false
}

// lineContaining is the first line of file that holds s, or 0.
func lineContaining(file, s string) int {
	data, err := readRegular(file)
	if err != nil {
		return 0
	}
	for i, line := range bytes.Split(data, []byte("\n")) {
		if bytes.Contains(line, []byte(s)) {
			return i + 1
		}
	}
	return 0
}

// find returns the document of file that holds o: same kind, and the same name or
// one that the overlay's prefix and suffix turned into o's name.
func (l *locator) find(file string, o *Object) *fileDoc {
	docs, ok := l.files[file]
	if !ok {
		docs = readDocs(file)
		l.files[file] = docs
	}
	name := o.Meta.GetName()
	var best *fileDoc
	for i := range docs {
		d := &docs[i]
		if d.kind != o.GVK.Kind || d.name == "" || !strings.Contains(name, d.name) {
			continue
		}
		if d.name == name {
			return d
		}
		if best == nil || len(d.name) > len(best.name) {
			best = d
		}
	}
	if best == nil {
		// One document of that kind in the file is the one, whatever it was renamed to.
		for i := range docs {
			if docs[i].kind == o.GVK.Kind {
				if best != nil {
					return nil
				}
				best = &docs[i]
			}
		}
	}
	return best
}

// readDocs splits a resource file into documents with their kind, name and place.
func readDocs(file string) []fileDoc {
	f, err := openRegular(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var docs []fileDoc
	_ = splitDocuments(f, func(d document) error {
		if d.data == nil {
			return nil
		}
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if sigsyaml.Unmarshal(d.data, &head) != nil {
			return nil
		}
		docs = append(docs, fileDoc{kind: head.Kind, name: head.Metadata.Name, line: d.line, text: indexText(d.data)})
		return nil
	})
	return docs
}

// generatorLine is the line of the generator field (configMapGenerator:, ...) in a
// kustomization file, or 0.
func generatorLine(file, generatorKind string) int {
	if generatorKind == "" {
		return 0
	}
	data, err := readRegular(file)
	if err != nil {
		return 0
	}
	field := strings.ToLower(generatorKind[:1]) + generatorKind[1:] // ConfigMapGenerator -> configMapGenerator
	for i, line := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(line, []byte(field+":")) {
			return i + 1
		}
	}
	return 0
}

// kustGraph is the kustomizations of a walk and which uses which (a resources,
// bases or components entry that resolves to another's directory).
type kustGraph struct {
	// roots are the kustomizations to build: those no other one uses, except
	// components, which cannot be built on their own. A walk then builds overlays,
	// not their bases a second time.
	roots     []string
	users     map[string][]string // key of a kustomization → keys of those that use it
	uses      map[string][]string // key of a kustomization → keys of those it uses
	component map[string]bool
	built     map[string]bool // keys of the roots and of all they use
}

// kustKey is the canonical form of a directory, to compare references.
func kustKey(p string) string { return realPath(p) }

func kustomizationGraph(dirs []string) *kustGraph {
	g := &kustGraph{users: map[string][]string{}, uses: map[string][]string{}, component: map[string]bool{}, built: map[string]bool{}}
	inList := map[string]bool{}
	for _, d := range dirs {
		inList[kustKey(d)] = true
	}
	for _, d := range dirs {
		k, ok := readKustomization(d)
		if !ok {
			continue
		}
		kd := kustKey(d)
		if k.Kind == types.ComponentKind {
			g.component[kd] = true
		}
		for _, ref := range slices.Concat(k.Resources, k.Bases, k.Components) {
			if isRemoteRef(ref) {
				continue
			}
			if r := kustKey(filepath.Join(d, ref)); inList[r] && r != kd {
				g.users[r] = append(g.users[r], kd)
				g.uses[kd] = append(g.uses[kd], r)
			}
		}
	}
	for _, d := range dirs {
		if kd := kustKey(d); len(g.users[kd]) == 0 && !g.component[kd] {
			g.roots = append(g.roots, d)
			g.markBuilt(kd)
		}
	}
	// Kustomizations that use each other in a cycle have no root above them: the
	// first of each cycle is built, and kustomize reports the cycle, rather than
	// their files being taken for manifests no kustomization uses.
	for _, d := range dirs {
		if kd := kustKey(d); !g.built[kd] && !g.component[kd] {
			g.roots = append(g.roots, d)
			g.markBuilt(kd)
		}
	}
	return g
}

// markBuilt marks k and everything it uses, directly or through others, as part of
// a build.
func (g *kustGraph) markBuilt(k string) {
	if g.built[k] {
		return
	}
	g.built[k] = true
	for _, u := range g.uses[k] {
		g.markBuilt(u)
	}
}

// unusedComponent reports a Component that no build of the walk uses, directly or
// through other Components.
func (g *kustGraph) unusedComponent(dir string) bool {
	k := kustKey(dir)
	return g.component[k] && !g.built[k]
}

// reachesFailed reports whether dir, or a kustomization that uses it directly or
// through others, failed to build: then what its files hold is not known.
func (g *kustGraph) reachesFailed(dir string, failed map[string]bool) bool {
	bad := map[string]bool{}
	for d := range failed {
		bad[kustKey(d)] = true
	}
	seen := map[string]bool{}
	var walk func(k string) bool
	walk = func(k string) bool {
		if bad[k] {
			return true
		}
		if seen[k] {
			return false
		}
		seen[k] = true
		return slices.ContainsFunc(g.users[k], walk)
	}
	return walk(kustKey(dir))
}

// helmChartHome is the directory where the kustomization in dir keeps the charts
// its helmCharts inflate, or "" when it has none: those charts are its, not charts
// of their own to render.
func helmChartHome(dir string) string {
	k, ok := readKustomization(dir)
	if !ok || len(k.HelmCharts) == 0 && len(k.HelmChartInflationGenerator) == 0 {
		return ""
	}
	home := "charts"
	if k.HelmGlobals != nil && k.HelmGlobals.ChartHome != "" {
		home = k.HelmGlobals.ChartHome
	}
	if filepath.IsAbs(home) {
		return filepath.Clean(home)
	}
	return filepath.Join(dir, home)
}

// readKustomization reads the fields of a kustomization that refer to other directories.
func readKustomization(dir string) (*types.Kustomization, bool) {
	for _, n := range kustomizationFiles {
		data, err := readRegular(filepath.Join(dir, n))
		if err != nil {
			continue
		}
		var k types.Kustomization
		if sigsyaml.Unmarshal(data, &k) != nil {
			return nil, false
		}
		return &k, true
	}
	return nil, false
}

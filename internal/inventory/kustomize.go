package inventory

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	yaml3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/moat-dev/moat/internal/finding"
)

// originAnnotation is where kustomize records the file an object came from when the
// kustomization asks for buildMetadata: [originAnnotations].
const originAnnotation = "config.kubernetes.io/origin"

// buildKustomization builds a Kustomize directory as `kustomize build` does (load
// restrictions to the root, no plugins) and maps each object back to the file it
// came from. To learn that, the build asks kustomize for origin annotations; when
// the kustomization did not ask for them itself, they are removed again before the
// objects reach the rules.
//
// Each object's File is its original resource file (a base's deployment.yaml, not
// the overlay) with the line of its document there, found by kind and name; SourceAt
// then reads lines of that document, so a field set by an overlay's patch points at
// the nearest part of it written in the base. Objects made by generators point at
// the generator in the kustomization that configured them, and objects whose origin
// kustomize cannot tell (remote bases) at the kustomization file that was built.
func buildKustomization(dir string) ([]*Object, []error) {
	name := filepath.ToSlash(dir)
	kfile := kustomizationFile(dir)
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, []error{&Error{File: kfile, Err: err}}
	}
	fsys := &originFS{FileSystem: filesys.MakeFsOnDisk(), roots: []string{abs}}
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		fsys.roots = append(fsys.roots, real)
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, abs)
	if err != nil {
		return nil, []error{&Error{File: kfile, Err: fmt.Errorf("kustomize build: %v", err)}}
	}
	loc := &locator{dir: dir, files: map[string][]fileDoc{}}
	origin := "kustomize:" + name
	var objs []*Object
	var errs []error
	for _, r := range m.Resources() {
		from, _ := r.GetOrigin()
		if fsys.added {
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
		o, err := decodeObject(js, nil, src)
		if err != nil {
			errs = append(errs, &Error{File: kfile, Err: fmt.Errorf("kustomize: %v", err)})
			continue
		}
		loc.place(o, from)
		objs = append(objs, o)
	}
	return objs, errs
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

// originFS is the disk, except that the kustomization file of the root being built
// reads with originAnnotations added to its buildMetadata.
type originFS struct {
	filesys.FileSystem
	roots []string
	added bool // whether the annotations were asked for by us, not by the kustomization
}

func (f *originFS) ReadFile(p string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(p)
	if err != nil || !f.isRootKustomization(p) {
		return data, err
	}
	out, added := withOriginAnnotations(data)
	if added {
		f.added = true
	}
	return out, nil
}

func (f *originFS) isRootKustomization(p string) bool {
	dir, base := filepath.Split(filepath.Clean(p))
	isKust := false
	for _, n := range kustomizationFiles {
		isKust = isKust || base == n
	}
	if !isKust {
		return false
	}
	dir = filepath.Clean(dir)
	for _, r := range f.roots {
		if dir == r {
			return true
		}
	}
	return false
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
	switch {
	case from == nil || from.Repo != "":
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
	f, err := os.Open(file)
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
		docs = append(docs, fileDoc{kind: head.Kind, name: head.Metadata.Name, line: d.line, text: textInFile(file, d.off, d.data)})
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
	data, err := os.ReadFile(file)
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

// kustomizationRoots drops the kustomizations that another one in the list uses (a
// resources, bases or components entry that resolves to its directory), and the
// components, which cannot be built on their own: a directory walk then builds
// overlays, not their bases a second time.
func kustomizationRoots(dirs []string) []string {
	key := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			p = a
		}
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		return filepath.Clean(p)
	}
	inList := map[string]bool{}
	for _, d := range dirs {
		inList[key(d)] = true
	}
	used := map[string]bool{}
	for _, d := range dirs {
		k, ok := readKustomization(d)
		if !ok {
			continue
		}
		if k.Kind == types.ComponentKind {
			used[key(d)] = true
		}
		for _, ref := range append(append(k.Resources, k.Bases...), k.Components...) {
			if strings.Contains(ref, "://") || strings.HasPrefix(ref, "git@") || strings.HasPrefix(ref, "github.com/") {
				continue // remote
			}
			if r := key(filepath.Join(d, ref)); inList[r] && r != key(d) {
				used[r] = true
			}
		}
	}
	var roots []string
	for _, d := range dirs {
		if !used[key(d)] {
			roots = append(roots, d)
		}
	}
	return roots
}

// readKustomization reads the fields of a kustomization that refer to other directories.
func readKustomization(dir string) (*types.Kustomization, bool) {
	for _, n := range kustomizationFiles {
		data, err := os.ReadFile(filepath.Join(dir, n))
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

package podspec

// Field is a field below each container or volume of a pod, "securityContext.privileged",
// whose paths for the first containers and volumes of the pods of the client-go kinds
// are made once: most findings of pod rules are at such a field, a scan makes tens of
// thousands of them, and with a Field they share their path strings instead of each
// joining its own. Make Fields when rules are made (NewField writes a hundred
// strings), never per object.
type Field struct {
	name  string // "" for the container or volume itself
	paths [len(knownTemplates)]*[numLists][cachedParts]string
}

// NewField makes the paths of the field name below containers and volumes: no
// leading dot, "" for the part itself.
func NewField(name string) *Field {
	f := &Field{name: name}
	for t, tpl := range knownTemplates {
		f.paths[t] = new([numLists][cachedParts]string)
		for l := range numLists {
			for i := range cachedParts {
				f.paths[t][l][i] = f.below(tpl.parts[l][i])
			}
		}
	}
	return f
}

// below is the field's path under a part's path.
func (f *Field) below(part string) string {
	if f.name == "" {
		return part
	}
	return part + "." + f.name
}

// Of is the field's path below a container: ct.Path + "." + name.
func (f *Field) Of(ct Container) string { return f.at(ct.at, ct.Path) }

// OfVolume is the field's path below a volume: v.Path + "." + name.
func (f *Field) OfVolume(v Volume) string { return f.at(v.at, v.Path) }

// Part is the field's path below item i of the list named list ("initContainers",
// "containers", "ephemeralContainers" or "volumes") of p.
func (f *Field) Part(p Pod, list string, i int) string {
	if l := listIndex(list); l >= 0 && p.cached(i) {
		return f.paths[p.paths.id][l][i]
	}
	return PartPath(p.Path, list, i, f.name)
}

func (f *Field) at(at partAt, path string) string {
	if at.tpl == nil {
		return f.below(path)
	}
	return f.paths[at.tpl.id][at.list][at.index]
}

// listIndex is the index of a list's name in listNames, or -1.
func listIndex(name string) int {
	for i, n := range listNames {
		if n == name {
			return i
		}
	}
	return -1
}

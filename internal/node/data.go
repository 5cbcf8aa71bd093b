package node

import "github.com/moat-dev/moat/internal/node/componentdata"

// kubeSpec is the flag table of a Kubernetes component at a release.
func kubeSpec(rel *componentdata.Release, kind string) flagSpec {
	c := rel.Components[kind]
	return func(name string) (FlagType, bool) {
		f, ok := c.Flag(name)
		return FlagType{Type: f.Type, Default: f.Default}, ok
	}
}

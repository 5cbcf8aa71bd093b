// PLACEHOLDER written by the lead so that internal/node compiles while the real loader
// is generated: the owner of this package replaces this file (delete it when yours lands;
// keep these names and signatures).
package componentdata

import "encoding/json"

type Flag struct {
	Type       string `json:"type"`
	Default    string `json:"default"`
	Deprecated bool   `json:"deprecated,omitempty"`
}

type Component struct {
	Flags map[string]Flag `json:"flags"`
}

func (c *Component) Flag(name string) (Flag, bool) {
	if c == nil {
		return Flag{}, false
	}
	f, ok := c.Flags[name]
	return f, ok
}

type Kubelet struct {
	ConfigDefaults json.RawMessage   `json:"configDefaults"`
	FlagDefaults   json.RawMessage   `json:"flagDefaults"`
	FlagFields     map[string]string `json:"flagFields"`
}

type Release struct {
	Version    string                `json:"version"`
	Components map[string]*Component `json:"components"`
	Kubelet    Kubelet               `json:"kubelet"`
}

func Latest() *Release {
	return &Release{Version: "v0.0.0", Components: map[string]*Component{}, Kubelet: Kubelet{ConfigDefaults: json.RawMessage("{}"), FlagDefaults: json.RawMessage("{}")}}
}

func Load(version string) (*Release, error) { return Latest(), nil }

func (r *Release) AdmissionPluginsEnabled(enable, disable []string) []string { return enable }

func (r *Release) FeatureEnabled(name string, overrides map[string]bool) (bool, bool) {
	v, ok := overrides[name]
	return v, ok
}

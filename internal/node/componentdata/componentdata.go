// Package componentdata holds what Moat needs to read the flags and config files of
// kube-apiserver, kube-controller-manager, kube-scheduler, the kubelet and kube-proxy
// exactly as they do, for each Kubernetes release Moat ships data for: each flag's
// type, default and deprecation, the admission plugins and feature gates, and the
// kubelet's and kube-proxy's configuration defaults with the configuration field each
// flag sets.
//
// The data is generated from the Kubernetes source that test/kube pins, by calling
// the components' own code (test/kube/nodedata; go run ./cmd/nodedata in test/kube),
// and e2e's TestNodeData fails when the file here differs from what that source
// yields. It is embedded, and parsed once, on first use. Nothing here depends on
// k8s.io/kubernetes.
//
// Two things the data does not say: a flag's "default" is the value it is registered
// with, as --help shows it, and a component may fill an unset flag later
// (kube-apiserver's --authorization-mode is "[]", and AlwaysAllow when neither it nor
// --authorization-config is given); and the defaults are those of Linux nodes.
package componentdata

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// components are the components every release's data describes, by the names
// Release.Components has them under.
var components = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy"}

// Release is what one Kubernetes release's components accept and default to.
type Release struct {
	// Version is the release the data was generated from, "v1.37.2".
	Version string `json:"version"`
	// Components are the flags of each component: "kube-apiserver",
	// "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy".
	Components       map[string]*Component  `json:"components"`
	AdmissionPlugins AdmissionPlugins       `json:"admissionPlugins"`
	FeatureGates     map[string]FeatureGate `json:"featureGates"`
	Kubelet          Kubelet                `json:"kubelet"`
	KubeProxy        KubeProxy              `json:"kubeProxy"`
}

// Component is what one component accepts on its command line.
type Component struct {
	// Flags are by name without dashes, words separated by '-' ("read-only-port").
	Flags map[string]Flag `json:"flags"`
}

// Flag is one command-line flag.
type Flag struct {
	// Type is the flag's pflag value type: "bool", "string", "int32", "duration",
	// "stringSlice", "mapStringBool", "ip", ...
	Type string `json:"type"`
	// Default is the value the flag is registered with, as --help prints it.
	Default string `json:"default"`
	// Deprecated flags still work; the component warns when one is given.
	Deprecated bool `json:"deprecated,omitempty"`
}

// AdmissionPlugins are kube-apiserver's admission plugins.
type AdmissionPlugins struct {
	// All is every plugin the API server knows, in the order it runs them.
	All []string `json:"all"`
	// DefaultOn are the plugins it runs when no flag names them.
	DefaultOn []string `json:"defaultOn"`
}

// FeatureGate is one feature gate as the release defines it.
type FeatureGate struct {
	Default       bool `json:"default"`
	LockToDefault bool `json:"lockToDefault"`
	// PreRelease is "ALPHA", "BETA", "GA" or "DEPRECATED".
	PreRelease string `json:"preRelease"`
}

// Kubelet is the kubelet's configuration, as kubelet.config.k8s.io/v1beta1
// KubeletConfiguration JSON (decode it with k8s.io/kubelet/config/v1beta1).
type Kubelet struct {
	// ConfigDefaults is what a --config file that sets nothing yields, after the
	// kubelet's defaulting.
	ConfigDefaults json.RawMessage `json:"configDefaults"`
	// FlagDefaults is what the kubelet runs with when no --config is given: the
	// legacy defaults (anonymous authentication, AlwaysAllow, read-only port 10255).
	FlagDefaults json.RawMessage `json:"flagDefaults"`
	// FlagFields maps each flag that sets a configuration field to the field's JSON
	// path ("anonymous-auth": "authentication.anonymous.enabled"). A flag given on
	// the command line overrides the field from the config file.
	FlagFields map[string]string `json:"flagFields"`
}

// KubeProxy is kube-proxy's configuration, as kubeproxy.config.k8s.io/v1alpha1
// KubeProxyConfiguration JSON.
type KubeProxy struct {
	// ConfigDefaults is what a --config file that sets nothing yields.
	ConfigDefaults json.RawMessage `json:"configDefaults"`
	// FlagFields maps each flag that sets a configuration field to its JSON path.
	FlagFields map[string]string `json:"flagFields"`
	// FlagsOverConfig are the flags of FlagFields kube-proxy still applies when
	// --config is given (--hostname-override and the logging flags); it ignores the
	// others then, unlike the kubelet.
	FlagsOverConfig []string `json:"flagsOverConfig"`
}

//go:embed data
var data embed.FS

// dataFile is the file of a release ("1.37") in data.
func dataFile(release string) string { return path.Join("data", release, "components.json") }

// shipped are the releases data holds, oldest first, each with its parse, run once.
var shipped = sync.OnceValue(func() []shippedRelease {
	var out []shippedRelease
	entries, _ := fs.ReadDir(data, "data")
	for _, e := range entries {
		minor, ok := parseMinor(e.Name())
		if !ok {
			continue
		}
		if _, err := fs.Stat(data, dataFile(e.Name())); err != nil {
			continue
		}
		name := e.Name()
		out = append(out, shippedRelease{name: name, minor: minor, load: sync.OnceValues(func() (*Release, error) { return parseRelease(name) })})
	}
	slices.SortFunc(out, func(a, b shippedRelease) int { return a.minor - b.minor })
	return out
})

type shippedRelease struct {
	name  string // "1.37"
	minor int
	load  func() (*Release, error)
}

// Load returns the data of a release: "1.37", "v1.37", "1.37.2" or "v1.37.2" (any
// patch release, and a version with a suffix such as "v1.37.2+k3s1", read as its
// minor release). Its error names the releases Moat has data for.
func Load(version string) (*Release, error) {
	release, err := ParseRelease(version)
	if err != nil {
		return nil, fmt.Errorf("componentdata: %w (Moat has data for %s)", err, strings.Join(Releases(), ", "))
	}
	for _, s := range shipped() {
		if s.name == release {
			return s.load()
		}
	}
	return nil, fmt.Errorf("componentdata: no data for Kubernetes %s (Moat has data for %s)", release, strings.Join(Releases(), ", "))
}

// Latest returns the data of the newest release Moat has data for. The embedded data
// is checked by this package's tests; Latest panics only if it is missing or corrupt,
// which is a defect of the build, like a regexp.MustCompile that fails.
func Latest() *Release {
	all := shipped()
	if len(all) == 0 {
		panic("componentdata: no data embedded")
	}
	r, err := all[len(all)-1].load()
	if err != nil {
		panic(err)
	}
	return r
}

// Releases are the releases Moat has data for, oldest first ("1.37").
func Releases() []string {
	var out []string
	for _, s := range shipped() {
		out = append(out, s.name)
	}
	return out
}

// ParseRelease reads a Kubernetes version as its minor release: "v1.37.2" is "1.37".
func ParseRelease(version string) (string, error) {
	v := strings.TrimPrefix(version, "v")
	// A suffix after the patch release: "-rc.1", "+k3s1", "-eks-1234".
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return "", fmt.Errorf("%q is not a Kubernetes version (1.37, v1.37.2)", version)
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return "", fmt.Errorf("%q is not a Kubernetes version (1.37, v1.37.2)", version)
		}
		nums[i] = n
	}
	return fmt.Sprintf("%d.%d", nums[0], nums[1]), nil
}

// parseMinor reads a data directory's name, "1.37", as 37.
func parseMinor(name string) (int, bool) {
	major, minor, ok := strings.Cut(name, ".")
	if !ok || major != "1" {
		return 0, false
	}
	n, err := strconv.Atoi(minor)
	return n, err == nil && strconv.Itoa(n) == minor
}

// parseRelease decodes and checks one release's file: unknown fields are an error, so
// that the generator and this package cannot drift apart unnoticed.
func parseRelease(release string) (*Release, error) {
	name := dataFile(release)
	b, err := data.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("componentdata: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	r := &Release{}
	if err := dec.Decode(r); err != nil {
		return nil, fmt.Errorf("componentdata: %s: %w", name, err)
	}
	if err := r.check(release); err != nil {
		return nil, fmt.Errorf("componentdata: %s: %w", name, err)
	}
	return r, nil
}

// check reports what a file must hold and does not.
func (r *Release) check(release string) error {
	if got, err := ParseRelease(r.Version); err != nil || got != release {
		return fmt.Errorf("version %q is not a version of %s", r.Version, release)
	}
	for _, c := range components {
		if r.Components[c] == nil || len(r.Components[c].Flags) == 0 {
			return fmt.Errorf("components.%s: no flags", c)
		}
	}
	switch {
	case len(r.AdmissionPlugins.All) == 0:
		return fmt.Errorf("admissionPlugins.all is empty")
	case len(r.FeatureGates) == 0:
		return fmt.Errorf("featureGates is empty")
	case len(r.Kubelet.ConfigDefaults) == 0 || len(r.Kubelet.FlagDefaults) == 0 || len(r.KubeProxy.ConfigDefaults) == 0:
		return fmt.Errorf("a configuration default is missing")
	}
	return nil
}

// Flag returns the flag of that name: "read-only-port", "--read-only-port" and
// "read_only_port" are one flag, as the components normalise them. A nil Component
// (one the release does not describe) has no flags.
func (c *Component) Flag(name string) (Flag, bool) {
	if c == nil {
		return Flag{}, false
	}
	f, ok := c.Flags[NormalizeFlag(name)]
	return f, ok
}

// NormalizeFlag is a flag's name as the data holds it: without leading dashes, '_'
// read as '-' (component-base's WordSepNormalizeFunc).
func NormalizeFlag(name string) string {
	return strings.ReplaceAll(strings.TrimLeft(name, "-"), "_", "-")
}

// AdmissionPluginsEnabled returns the admission plugins kube-apiserver runs, in the
// order it runs them, given --enable-admission-plugins and
// --disable-admission-plugins: the default-on plugins and those enabled, less those
// disabled. As in the API server, a plugin in both lists is enabled (it refuses to
// start with such lists), and names it does not know are left out (it refuses those
// too).
func (r *Release) AdmissionPluginsEnabled(enable, disable []string) []string {
	off := map[string]bool{}
	for _, p := range r.AdmissionPlugins.All {
		off[p] = !slices.Contains(r.AdmissionPlugins.DefaultOn, p)
	}
	for _, p := range disable {
		off[p] = true
	}
	for _, p := range enable {
		off[p] = false
	}
	var out []string
	for _, p := range r.AdmissionPlugins.All {
		if !off[p] {
			out = append(out, p)
		}
	}
	return out
}

// The gates that set every alpha or beta gate not set by name.
const (
	allAlpha = "AllAlpha"
	allBeta  = "AllBeta"
)

// FeatureEnabled reports whether a feature gate is on given the gates set by
// --feature-gates or the featureGates field (nil for none), and whether the release
// knows the gate. As component-base's gate does: a gate set by name takes that value,
// AllAlpha and AllBeta set every alpha or beta gate not set by name, and a gate locked
// to its default keeps it (the component refuses to start if told otherwise).
func (r *Release) FeatureEnabled(name string, overrides map[string]bool) (enabled, known bool) {
	g, ok := r.FeatureGates[name]
	if !ok {
		return false, false
	}
	if g.LockToDefault {
		return g.Default, true
	}
	if v, set := overrides[name]; set {
		return v, true
	}
	all := map[string]string{"ALPHA": allAlpha, "BETA": allBeta}[g.PreRelease]
	if v, set := overrides[all]; set && all != "" {
		return v, true
	}
	return g.Default, true
}

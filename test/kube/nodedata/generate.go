package nodedata

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/component-base/featuregate"
	baseversion "k8s.io/component-base/version"
	kubeoptions "k8s.io/kubernetes/pkg/kubeapiserver/options"

	"github.com/moat-dev/moat/test/kube/nodedata/flagset"

	// What the components' mains import besides their app package: the JSON log
	// format (one --logging-format accepts) and the metrics they register.
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	// The Kubernetes feature gates register themselves with utilfeature's gate here.
	_ "k8s.io/kubernetes/pkg/features"
)

// Data is the content of components.json.
type Data struct {
	Version          string                 `json:"version"`
	Components       map[string]Component   `json:"components"`
	AdmissionPlugins AdmissionPlugins       `json:"admissionPlugins"`
	FeatureGates     map[string]FeatureGate `json:"featureGates"`
	Kubelet          Kubelet                `json:"kubelet"`
	KubeProxy        KubeProxy              `json:"kubeProxy"`
}

// Component is what one component accepts on its command line.
type Component struct {
	Flags map[string]Flag `json:"flags"`
}

// Flag is one flag: its pflag value type, its default as the flag prints it, and
// whether it is deprecated.
type Flag = flagset.Flag

// AdmissionPlugins are the admission plugins kube-apiserver knows, in the order it
// runs them, and those it enables when no flag names them.
type AdmissionPlugins struct {
	All       []string `json:"all"`
	DefaultOn []string `json:"defaultOn"`
}

// FeatureGate is one feature gate as the release defines it.
type FeatureGate struct {
	Default       bool   `json:"default"`
	LockToDefault bool   `json:"lockToDefault"`
	PreRelease    string `json:"preRelease"`
}

// Kubelet is the kubelet's configuration (kubelet.config.k8s.io/v1beta1) as a config
// file with nothing set yields it, as the kubelet runs it without --config, and the
// field each flag sets.
type Kubelet struct {
	ConfigDefaults json.RawMessage   `json:"configDefaults"`
	FlagDefaults   json.RawMessage   `json:"flagDefaults"`
	FlagFields     map[string]string `json:"flagFields"`
}

// KubeProxy is kube-proxy's configuration (kubeproxy.config.k8s.io/v1alpha1) as a
// config file with nothing set yields it, the field each flag sets, and the flags
// that still set theirs when --config is given (kube-proxy ignores the others then).
type KubeProxy struct {
	ConfigDefaults  json.RawMessage   `json:"configDefaults"`
	FlagFields      map[string]string `json:"flagFields"`
	FlagsOverConfig []string          `json:"flagsOverConfig"`
}

// Result is one run of the generator.
type Result struct {
	Release string // "1.37": the directory under data/
	Data    Data
	// Unmapped lists the configuration flags whose field could not be derived, one
	// "component --flag: reason" each; they are left out of the flagFields.
	Unmapped []string
}

// JSON is the file the result is written as: indented, keys in a stable order, a
// trailing newline, and '<' and '>' unescaped (they are in eviction thresholds).
func (r *Result) JSON() ([]byte, error) {
	return encode(r.Data)
}

// Generate computes the data for the Kubernetes release this program is built with.
func Generate(ctx context.Context) (*Result, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("nodedata: the defaults are those of Linux nodes; run on linux, not %s", runtime.GOOS)
	}
	version, release, err := kubernetesVersion()
	if err != nil {
		return nil, err
	}
	r := &Result{Release: release, Data: Data{Version: version}}
	// The shared feature gate as the components start with it, before any of the
	// option handling below can set it.
	pristine := utilfeature.DefaultMutableFeatureGate.DeepCopy()
	r.Data.FeatureGates = featureGates(pristine)
	r.Data.AdmissionPlugins = admissionPlugins()
	if r.Data.Components, err = componentFlags(ctx); err != nil {
		return nil, err
	}
	// A gate every component accepts as set: the probe of --feature-gates needs one.
	gate := lockedGate(r.Data.FeatureGates)
	if r.Data.Kubelet, err = kubeletData(ctx, gate, &r.Unmapped); err != nil {
		return nil, fmt.Errorf("kubelet: %w", err)
	}
	if r.Data.KubeProxy, err = kubeProxyData(ctx, pristine, gate, &r.Unmapped); err != nil {
		return nil, fmt.Errorf("kube-proxy: %w", err)
	}
	return r, nil
}

// kubernetesVersion is the version of k8s.io/kubernetes in the build ("v1.37.2") and
// its release ("1.37"), checked against the binary version component-base reports,
// which the feature gates and the compatibility versions are set from.
func kubernetesVersion() (version, release string, err error) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", "", fmt.Errorf("nodedata: no build information in this binary")
	}
	for _, m := range bi.Deps {
		if m.Path != "k8s.io/kubernetes" {
			continue
		}
		if m.Replace != nil {
			m = m.Replace
		}
		parts := strings.SplitN(strings.TrimPrefix(m.Version, "v"), ".", 3)
		if len(parts) < 3 {
			return "", "", fmt.Errorf("nodedata: k8s.io/kubernetes has version %q, not a release", m.Version)
		}
		release = parts[0] + "." + parts[1]
		if release != baseversion.DefaultKubeBinaryVersion {
			return "", "", fmt.Errorf("nodedata: k8s.io/kubernetes %s reports binary version %s", m.Version, baseversion.DefaultKubeBinaryVersion)
		}
		return m.Version, release, nil
	}
	return "", "", fmt.Errorf("nodedata: k8s.io/kubernetes is not in the build")
}

// featureGates are the gates of the shared gate the Kubernetes components register
// theirs with, each as specified at the release's own version (GetAll leaves out gates
// that do not exist yet at that version).
func featureGates(gate featuregate.MutableVersionedFeatureGate) map[string]FeatureGate {
	out := map[string]FeatureGate{}
	for name, spec := range gate.GetAll() {
		pre := string(spec.PreRelease)
		if pre == "" {
			pre = "GA" // featuregate.GA is the empty string
		}
		out[string(name)] = FeatureGate{Default: spec.Default, LockToDefault: spec.LockToDefault, PreRelease: pre}
	}
	return out
}

// lockedGate is the first gate by name that is locked to its default, set to it
// ("Name=true"): setting it changes nothing, and a component that checks its gates
// accepts it.
func lockedGate(gates map[string]FeatureGate) string {
	var names []string
	for n, g := range gates {
		if g.LockToDefault {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	return names[0] + "=" + strconv.FormatBool(gates[names[0]].Default)
}

// admissionPlugins reads kube-apiserver's plugin order and default-off set, the two
// values its admission options are built from.
func admissionPlugins() AdmissionPlugins {
	off := kubeoptions.DefaultOffAdmissionPlugins()
	all := slices.Clone(kubeoptions.AllOrderedPlugins)
	var on []string
	for _, p := range all {
		if !off.Has(p) {
			on = append(on, p)
		}
	}
	return AdmissionPlugins{All: all, DefaultOn: on}
}

// encode writes v as the data file writes everything: indented, map keys sorted,
// HTML characters unescaped, with a trailing newline.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// canonical turns a configuration struct into JSON with sorted keys (through a
// generic value; numbers kept as written), so that the file reads the same whatever
// the field order of the Go type.
func canonical(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	out, err := encode(generic)
	if err != nil {
		return nil, err
	}
	return bytes.TrimSpace(out), nil
}

package nodedata

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/pflag"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/featuregate"
	proxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	proxyapp "k8s.io/kubernetes/cmd/kube-proxy/app"
	"sigs.k8s.io/yaml"

	"github.com/moat-dev/moat/test/kube/nodedata/fieldprobe"
)

// emptyProxyConfig is a kube-proxy config file that sets nothing.
const emptyProxyConfig = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"

// kubeProxyData is kube-proxy's configuration from an empty config file, and the
// field each of its flags sets. kube-proxy keeps its configuration unexported, but
// shows it through --write-config-to: its options are completed as the command
// completes them (the config file loaded, the flags that need it processed, the
// platform defaults applied) and Run writes them out instead of running.
//
// Complete also sets the shared feature gate from the configuration, and the gate
// keeps a name it rejects, so each run gets its own copy of the gate as it was before
// anything set it (pristine).
func kubeProxyData(ctx context.Context, pristine featuregate.MutableVersionedFeatureGate, gate string, unmapped *[]string) (KubeProxy, error) {
	dir, err := os.MkdirTemp("", "nodedata-kube-proxy-")
	if err != nil {
		return KubeProxy{}, err
	}
	defer os.RemoveAll(dir)
	configFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(configFile, []byte(emptyProxyConfig), 0o600); err != nil {
		return KubeProxy{}, err
	}
	p := proxyRunner{ctx: ctx, out: filepath.Join(dir, "written.yaml"), gate: pristine}

	var k KubeProxy
	fromFile, err := p.config(configFile, nil)
	if err != nil {
		return KubeProxy{}, fmt.Errorf("from an empty config file: %w", err)
	}
	if k.ConfigDefaults, err = canonical(fromFile); err != nil {
		return KubeProxy{}, err
	}
	flags, _ := newProxyFlagSet()
	found, err := fieldprobe.Fields("kube-proxy", flags, func(args []string) (any, error) {
		return p.config("", args)
	}, gate, unmapped)
	if err != nil {
		return KubeProxy{}, err
	}
	k.FlagFields = paths(found)
	if k.FlagsOverConfig, err = p.flagsOverConfig(configFile, fromFile, found); err != nil {
		return KubeProxy{}, err
	}
	return k, nil
}

// flagsOverConfig are the flags kube-proxy applies over a --config file (it takes
// the file's configuration whole, and only a few flags over it). All the flags are
// given at once, each with the value that showed its field, in one run: every run
// with a config file leaves a file watcher open (Options keeps it unexported), and
// Linux allows a user 128.
func (p proxyRunner) flagsOverConfig(configFile string, fromFile *proxyv1alpha1.KubeProxyConfiguration, found map[string]fieldprobe.Found) ([]string, error) {
	var args []string
	byPath := map[string][]string{}
	for flag, f := range found {
		args = append(args, "--"+flag+"="+f.Value)
		byPath[f.Path] = append(byPath[f.Path], flag)
	}
	slices.Sort(args)
	got, err := p.config(configFile, args)
	if err != nil {
		return nil, fmt.Errorf("with --config and every flag: %w", err)
	}
	var over []string
	for _, path := range fieldprobe.Changed(fromFile, got) {
		if len(byPath[path]) != 1 {
			return nil, fmt.Errorf("with --config and every flag, %s changed, which flags %v set", path, byPath[path])
		}
		over = append(over, byPath[path][0])
	}
	slices.Sort(over)
	return over, nil
}

// proxyRunner completes kube-proxy's options and has them written to out.
type proxyRunner struct {
	ctx  context.Context
	out  string
	gate featuregate.MutableVersionedFeatureGate
}

// config is the configuration kube-proxy runs with given a config file (or none) and
// the command-line arguments.
func (p proxyRunner) config(configFile string, args []string) (*proxyv1alpha1.KubeProxyConfiguration, error) {
	saved := utilfeature.DefaultMutableFeatureGate
	utilfeature.DefaultMutableFeatureGate = p.gate.DeepCopy()
	utilfeature.DefaultFeatureGate = utilfeature.DefaultMutableFeatureGate
	defer func() { utilfeature.DefaultMutableFeatureGate, utilfeature.DefaultFeatureGate = saved, saved }()

	fs, opts := newProxyFlagSet()
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if configFile != "" {
		opts.ConfigFile = configFile
	}
	opts.WriteConfigTo = p.out
	if err := opts.Complete(fs); err != nil {
		return nil, err
	}
	if err := opts.Run(p.ctx); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p.out)
	if err != nil {
		return nil, err
	}
	cfg := &proxyv1alpha1.KubeProxyConfiguration{}
	if err := yaml.UnmarshalStrict(data, cfg); err != nil {
		return nil, fmt.Errorf("the configuration kube-proxy wrote: %w", err)
	}
	return cfg, nil
}

// newProxyFlagSet is kube-proxy's own flags bound to fresh options, as
// NewProxyCommand registers them.
func newProxyFlagSet() (*pflag.FlagSet, *proxyapp.Options) {
	opts := proxyapp.NewOptions()
	fs := pflag.NewFlagSet("kube-proxy", pflag.ContinueOnError)
	fs.SetNormalizeFunc(cliflag.WordSepNormalizeFunc)
	fs.SetOutput(io.Discard) // deprecation warnings
	opts.AddFlags(fs)
	return fs, opts
}

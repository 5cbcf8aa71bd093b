package nodedata

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	cliflag "k8s.io/component-base/cli/flag"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	kubeletoptions "k8s.io/kubernetes/cmd/kubelet/app/options"
	kubeletconfig "k8s.io/kubernetes/pkg/kubelet/apis/config"
	kubeletscheme "k8s.io/kubernetes/pkg/kubelet/apis/config/scheme"
	"k8s.io/kubernetes/pkg/kubelet/eviction"
	"k8s.io/kubernetes/pkg/kubelet/kubeletconfig/configfiles"
	utilfs "k8s.io/kubernetes/pkg/util/filesystem"

	"github.com/moat-dev/moat/test/kube/nodedata/fieldprobe"
)

// emptyKubeletConfig is a kubelet config file that sets nothing.
const emptyKubeletConfig = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"

// kubeletData is the kubelet's configuration from an empty config file and without
// one, and the field each configuration flag sets.
func kubeletData(ctx context.Context, gate string, unmapped *[]string) (Kubelet, error) {
	scheme, _, err := kubeletscheme.NewSchemeAndCodecs()
	if err != nil {
		return Kubelet{}, err
	}
	fromFile, err := kubeletConfigFromEmptyFile(ctx)
	if err != nil {
		return Kubelet{}, err
	}
	fromFlags, err := kubeletoptions.NewKubeletConfiguration()
	if err != nil {
		return Kubelet{}, err
	}
	var k Kubelet
	if k.ConfigDefaults, err = kubeletJSON(scheme, fromFile); err != nil {
		return Kubelet{}, err
	}
	if k.FlagDefaults, err = kubeletJSON(scheme, fromFlags); err != nil {
		return Kubelet{}, err
	}
	flags, _, err := newKubeletConfigFlagSet()
	if err != nil {
		return Kubelet{}, err
	}
	found, err := fieldprobe.Fields("kubelet", flags, func(args []string) (any, error) {
		fs, cfg, err := newKubeletConfigFlagSet()
		if err != nil {
			return nil, err
		}
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		return kubeletVersioned(scheme, cfg)
	}, gate, unmapped)
	k.FlagFields = paths(found)
	return k, err
}

// paths are the fields the flags set, by flag.
func paths(found map[string]fieldprobe.Found) map[string]string {
	out := make(map[string]string, len(found))
	for flag, f := range found {
		out[flag] = f.Path
	}
	return out
}

// newKubeletConfigFlagSet is the kubelet's configuration flags bound to a fresh
// configuration, as NewKubeletCommand registers them: the configuration the kubelet
// runs with when no --config is given.
func newKubeletConfigFlagSet() (*pflag.FlagSet, *kubeletconfig.KubeletConfiguration, error) {
	cfg, err := kubeletoptions.NewKubeletConfiguration()
	if err != nil {
		return nil, nil, err
	}
	fs := pflag.NewFlagSet("kubelet", pflag.ContinueOnError)
	fs.SetNormalizeFunc(cliflag.WordSepNormalizeFunc)
	fs.SetOutput(io.Discard) // deprecation warnings
	kubeletoptions.AddKubeletConfigFlags(fs, cfg)
	return fs, cfg, nil
}

// kubeletConfigFromEmptyFile loads an empty config file through the kubelet's own
// loader, then adds the hard eviction thresholds as the kubelet's (unexported)
// loadConfigFile does: the versioned defaulting leaves them out because they differ
// by operating system.
func kubeletConfigFromEmptyFile(ctx context.Context) (*kubeletconfig.KubeletConfiguration, error) {
	dir, err := os.MkdirTemp("", "nodedata-kubelet-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(emptyKubeletConfig), 0o600); err != nil {
		return nil, err
	}
	loader, err := configfiles.NewFsLoader(&utilfs.DefaultFs{}, path)
	if err != nil {
		return nil, err
	}
	kc, err := loader.Load(ctx)
	if err != nil {
		return nil, err
	}
	if kc.EvictionHard == nil {
		kc.EvictionHard = eviction.DefaultEvictionHard
	}
	return kc, nil
}

// kubeletJSON is a configuration as the data holds it: v1beta1, keys sorted.
func kubeletJSON(scheme *runtime.Scheme, in *kubeletconfig.KubeletConfiguration) (json.RawMessage, error) {
	v, err := kubeletVersioned(scheme, in)
	if err != nil {
		return nil, err
	}
	return canonical(v)
}

// kubeletVersioned converts the kubelet's internal configuration to
// kubelet.config.k8s.io/v1beta1 with the kubelet's scheme, which is what a config file
// holds.
func kubeletVersioned(scheme *runtime.Scheme, in *kubeletconfig.KubeletConfiguration) (*kubeletv1beta1.KubeletConfiguration, error) {
	out := &kubeletv1beta1.KubeletConfiguration{}
	if err := scheme.Convert(in, out, nil); err != nil {
		return nil, err
	}
	out.APIVersion = kubeletv1beta1.SchemeGroupVersion.String()
	out.Kind = "KubeletConfiguration"
	return out, nil
}

package nodedata

import (
	"bytes"
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	cliflag "k8s.io/component-base/cli/flag"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanagerapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	schedulerapp "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubeletapp "k8s.io/kubernetes/cmd/kubelet/app"
	kubeletoptions "k8s.io/kubernetes/cmd/kubelet/app/options"

	"github.com/moat-dev/moat/test/kube/nodedata/flagset"
)

// componentFlags are the flags each component's command accepts.
func componentFlags(ctx context.Context) (map[string]Component, error) {
	sets := []struct {
		name  string
		flags func() (*pflag.FlagSet, error)
	}{
		{"kube-apiserver", func() (*pflag.FlagSet, error) { return cobraFlags(apiserverapp.NewAPIServerCommand()) }},
		{"kube-controller-manager", func() (*pflag.FlagSet, error) {
			return cobraFlags(controllermanagerapp.NewControllerManagerCommand())
		}},
		{"kube-scheduler", func() (*pflag.FlagSet, error) { return cobraFlags(schedulerapp.NewSchedulerCommand()) }},
		{"kubelet", func() (*pflag.FlagSet, error) { return kubeletFlags(ctx) }},
	}
	out := map[string]Component{}
	for _, s := range sets {
		fs, err := s.flags()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		out[s.name] = Component{Flags: flagset.Describe(fs)}
	}
	proxy, err := kubeProxyFlags(ctx)
	if err != nil {
		return nil, fmt.Errorf("kube-proxy: %w", err)
	}
	out["kube-proxy"] = Component{Flags: proxy}
	return out, nil
}

// cobraFlags is the flag set of a command that runs in this program. cobra adds
// pflag.CommandLine to it, whose flags depend on what the binary links: this program
// links all five components and each binary a part of that, so a flag there that the
// command does not register itself may not be in the real binary, and is an error.
// (verflag registers --version there, and every command also adds it itself.)
func cobraFlags(cmd *cobra.Command) (*pflag.FlagSet, error) {
	var foreign []string
	pflag.CommandLine.VisitAll(func(f *pflag.Flag) {
		if cmd.Flags().Lookup(f.Name) == nil && cmd.PersistentFlags().Lookup(f.Name) == nil {
			foreign = append(foreign, f.Name)
		}
	})
	if len(foreign) > 0 {
		return nil, fmt.Errorf("pflag.CommandLine has flags %v the command does not register: whether the binary has them depends on what it links; give it a program of its own like kubeproxyflags", foreign)
	}
	return flagset.Cobra(cmd)
}

// kubeletFlags is the kubelet's clean flag set. The kubelet parses its command line
// itself (DisableFlagParsing) with a flag set local to NewKubeletCommand; the four
// calls that fill it are repeated here, and the result is checked against the flags
// the command's own usage text lists, so that a release that changes them fails here.
func kubeletFlags(ctx context.Context) (*pflag.FlagSet, error) {
	fs := pflag.NewFlagSet("kubelet", pflag.ContinueOnError)
	fs.SetNormalizeFunc(cliflag.WordSepNormalizeFunc)
	kubeletoptions.NewKubeletFlags().AddFlags(fs)
	cfg, err := kubeletoptions.NewKubeletConfiguration()
	if err != nil {
		return nil, err
	}
	kubeletoptions.AddKubeletConfigFlags(fs, cfg)
	kubeletoptions.AddGlobalFlags(fs)
	fs.BoolP("help", "h", false, "help for kubelet")

	var usage bytes.Buffer
	cmd := kubeletapp.NewKubeletCommand(ctx)
	cmd.SetOut(&usage)
	cmd.SetErr(&usage)
	if err := cmd.Usage(); err != nil {
		return nil, err
	}
	if err := flagset.SameNames(flagset.UsageNames(usage.String()), flagset.VisibleNames(fs)); err != nil {
		return nil, fmt.Errorf("the kubelet's usage text and the flag set built here differ: %w", err)
	}
	return fs, nil
}

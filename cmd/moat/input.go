package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/moat-dev/moat/internal/kubeversion"
	"github.com/moat-dev/moat/internal/report"
	"github.com/moat-dev/moat/internal/scan"
)

// inputFlags are the flags of every command that reads manifests or a cluster.
type inputFlags struct {
	helmValues, helmSet []string
	namespace           string
	allNamespaces       bool

	kubeVersion string
	apiVersions []string

	followSymlinks, allowRemote, enableHelm bool
	renderTimeout                           time.Duration

	cluster                 bool
	kubeconfig, kubeContext string
	readSecrets             bool
	kubeletConfigz          bool

	// reachability: the command analyses NetworkPolicies (reads pods from a cluster).
	reachability bool

	feat inputFeatures
}

// inputFeatures say which input flags a command has.
type inputFeatures struct {
	// namespace: -n sets the namespace of objects written without one (and, with
	// --cluster, the one namespace read). Commands whose -n means something else
	// (rbac who-can: the namespace of the question) leave it off.
	namespace bool
	// scanCluster: -A and --read-secrets, as moat scan has them.
	scanCluster bool
}

func (f *inputFlags) register(cmd *cobra.Command, feat inputFeatures) {
	f.feat = feat
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.helmValues, "helm-values", "f", nil, "values file for Helm charts (repeatable)")
	fl.StringArrayVar(&f.helmSet, "set", nil, "set Helm values on the command line, key=value (repeatable)")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes version a file scan targets: Helm's .Capabilities.KubeVersion, the API versions charts see and the built-in RBAC roles (default "+kubeversion.Default.MinorString()+")")
	fl.StringSliceVarP(&f.apiVersions, "api-versions", "a", nil, "further API versions charts see in .Capabilities.APIVersions (group/version or group/version/Kind), beside every one the --kube-version release serves (by default those of Kubernetes "+kubeversion.Default.MinorString()+") (repeatable, comma-separated)")
	fl.BoolVar(&f.followSymlinks, "follow-symlinks", false, "follow symbolic links that lead outside the scanned paths (never into /proc, /sys or /dev)")
	fl.BoolVar(&f.allowRemote, "allow-remote", false, "let Kustomize fetch remote bases and resources, and chart schemas remote $refs (off: a static scan opens no connection)")
	fl.BoolVar(&f.enableHelm, "enable-helm", false, "let Kustomize render helmCharts with the helm binary, as kustomize build --enable-helm")
	fl.DurationVar(&f.renderTimeout, "render-timeout", 0, "time limit for rendering one Helm chart (default 60s)")
	if feat.namespace {
		fl.StringVarP(&f.namespace, "namespace", "n", "", "namespace for Helm releases and objects written without one; with --cluster, the one namespace to read")
	}
	fl.BoolVar(&f.cluster, "cluster", false, "read the live cluster of the kubeconfig's current context instead of PATHs")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file for --cluster (default: KUBECONFIG, ~/.kube/config, or the in-cluster service account)")
	fl.StringVar(&f.kubeContext, "context", "", "kubeconfig context for --cluster")
	if feat.scanCluster {
		fl.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "with --cluster, read every namespace (the default unless -n is given)")
		fl.BoolVar(&f.readSecrets, "read-secrets", false, "with --cluster, read the data of Secrets too (default: their metadata only)")
		fl.BoolVar(&f.kubeletConfigz, "kubelet-configz", false, "with --cluster, read each kubelet's configuration from /configz through the API server's node proxy (needs nodes/proxy get, which reaches every kubelet's API: grant it only for this)")
	}
}

// input checks that the command has one input — PATHs or --cluster, with the flags
// that belong to it — and says what to read.
func (f *inputFlags) input(cmd *cobra.Command, paths []string) (scan.Input, error) {
	in := scan.Input{Paths: paths, Stdin: cmd.InOrStdin(), HelmValues: f.helmValues, HelmSet: f.helmSet, Namespace: f.namespace,
		KubeVersion: f.kubeVersion, APIVersions: f.apiVersions,
		FollowSymlinks: f.followSymlinks, AllowRemote: f.allowRemote, EnableHelm: f.enableHelm, RenderTimeout: f.renderTimeout}
	if f.kubeVersion != "" {
		if _, err := kubeversion.Parse(f.kubeVersion); err != nil {
			return in, fmt.Errorf("--kube-version: %w", err)
		}
	}
	if !f.cluster {
		clusterOnly := []string{"kubeconfig", "context"}
		if f.feat.scanCluster {
			// Only moat scan's -A and --read-secrets are about reading a cluster; who-can's
			// -A is part of its question.
			clusterOnly = append(clusterOnly, "all-namespaces", "read-secrets", "kubelet-configz")
		}
		for _, name := range clusterOnly {
			if fl := cmd.Flags().Lookup(name); fl != nil && fl.Changed {
				return in, fmt.Errorf("--%s needs --cluster", name)
			}
		}
		if len(paths) == 0 {
			return in, scan.ErrNoInput
		}
		return in, nil
	}
	if len(paths) > 0 {
		return in, fmt.Errorf("give PATHs or --cluster, not both")
	}
	for _, name := range []string{"kube-version", "api-versions"} {
		if fl := cmd.Flags().Lookup(name); fl != nil && fl.Changed {
			return in, fmt.Errorf("--%s is for PATHs: a live scan reads the cluster's own version, APIs and roles", name)
		}
	}
	if f.allNamespaces && f.namespace != "" {
		return in, fmt.Errorf("give -n NAMESPACE or -A, not both")
	}
	if f.kubeletConfigz {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning: --kubelet-configz reads through nodes/proxy, a permission that reaches every kubelet's API (exec included); Moat reports it as dangerous wherever it is granted")
	}
	in.Cluster = &scan.ClusterInput{Kubeconfig: f.kubeconfig, Context: f.kubeContext, ReadSecrets: f.readSecrets, KubeletConfigz: f.kubeletConfigz, Reachability: f.reachability}
	return in, nil
}

// load reads the command's input and prints its notes, warnings and errors to stderr.
// Commands that answer questions call it; moat scan prints through its report instead.
func (f *inputFlags) load(cmd *cobra.Command, paths []string) (*scan.Loaded, error) {
	in, err := f.input(cmd, paths)
	if err != nil {
		return nil, err
	}
	l, err := scan.Load(cmd.Context(), in)
	if err != nil {
		return nil, err
	}
	// The pod templates of Rollouts, DeploymentConfigs and the config file's
	// podTemplatePaths, which moat scan reads through its evaluation.
	cfg, err := loadConfig("")
	if err != nil {
		return nil, err
	}
	l.Errors = append(l.Errors, scan.PrepareTemplates(l.Objects, cfg)...)
	w := cmd.ErrOrStderr()
	printAll(w, "note:", l.Notes)
	printAll(w, "warning:", l.Warnings)
	for _, e := range l.Errors {
		printAll(w, "error:", []string{e.Error()})
	}
	return l, nil
}

// printAll prints messages to the terminal, one a line after the label, with the
// control characters a crafted file or object name may carry escaped.
func printAll(w io.Writer, label string, msgs []string) {
	for _, m := range msgs {
		fmt.Fprintln(w, label, report.Escape(m))
	}
}

// exitError carries an exit code out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// exit turns an exit code decided by scan.Code into the command's error.
func exit(code int) error {
	if code == scan.ExitOK {
		return nil
	}
	return exitError{code}
}

// outputFlag registers -o with the formats of the document the command prints; the
// first is the default.
func outputFlag(cmd *cobra.Command, dst *string, formats []string) {
	cmd.Flags().StringVarP(dst, "output", "o", formats[0], "output format: "+strings.Join(formats, ", "))
}

package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/moat-dev/moat/internal/cluster"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/kubeversion"
	"github.com/moat-dev/moat/internal/node"
)

// Input says what to read: PATHs (files, directories, "-", charts, overlays) or, when
// Cluster is set, a live cluster.
type Input struct {
	Paths []string
	// Stdin is read for the path "-".
	Stdin io.Reader
	// HelmValues are values files for charts (helm -f); HelmSet are key=value pairs.
	HelmValues []string
	HelmSet    []string
	// Namespace is the namespace of objects written without one and of Helm releases;
	// with a cluster, the one namespace to read (empty: every namespace).
	Namespace string
	// KubeVersion is the target Kubernetes version of a file scan (Helm capabilities,
	// built-in RBAC roles); APIVersions are further API versions charts may use.
	KubeVersion string
	APIVersions []string
	// FollowSymlinks follows symbolic links that lead outside the scanned paths;
	// AllowRemote lets Kustomize and chart schemas fetch remote resources; EnableHelm lets
	// Kustomize run helm for helmCharts; RenderTimeout bounds the rendering of one chart
	// (0: the default). A static scan opens no connection and reads nothing outside its
	// paths unless these say so.
	FollowSymlinks, AllowRemote, EnableHelm bool
	RenderTimeout                           time.Duration

	Cluster *ClusterInput
}

// ClusterInput says how to reach a live cluster and what to read from it.
type ClusterInput struct {
	Kubeconfig, Context string
	// ReadSecrets reads the data of Secrets too (default: metadata only).
	ReadSecrets bool
	// KubeletConfigz reads each kubelet's configuration through the API server's node
	// proxy (nodes/proxy: a permission Moat itself reports as dangerous; asked for
	// explicitly).
	KubeletConfigz bool
	// Reachability also reads what a NetworkPolicy analysis needs and a scan leaves out:
	// pods (their IPs), ReplicaSets and Jobs (pod owners), and the admin network
	// policies when the cluster serves them.
	Reachability bool
}

// ErrNoInput is returned when neither PATHs nor a cluster are given.
var ErrNoInput = errors.New("name at least one PATH (a file, a directory, or - for stdin), or give --cluster")

// Loaded is an input read into an inventory.
type Loaded struct {
	*inventory.Inventory
	// Notes are remarks for the person running the scan that are neither warnings nor
	// errors (objects left out because their controller is scanned instead).
	Notes []string
}

// Load reads the input. Problems of single inputs (an unreadable file, a kind the
// credentials may not list) are recorded in the inventory's Errors, Warnings and
// Partial, and the rest is still read; the error is for what stops the whole load (no
// input at all, a kubeconfig that does not resolve).
func Load(ctx context.Context, in Input) (*Loaded, error) {
	if in.Cluster == nil {
		if len(in.Paths) == 0 {
			return nil, ErrNoInput
		}
		inv := inventory.Load(in.Paths, inventory.Options{
			HelmValues: in.HelmValues, HelmSet: in.HelmSet, Namespace: in.Namespace, Stdin: in.Stdin,
			KubeVersion: in.KubeVersion, APIVersions: in.APIVersions,
			FollowSymlinks: in.FollowSymlinks, AllowRemote: in.AllowRemote, EnableHelm: in.EnableHelm, RenderTimeout: in.RenderTimeout,
		})
		out := &Loaded{Inventory: inv}
		note, err := loadBuiltinRBAC(inv, in.KubeVersion)
		if note != "" {
			out.Notes = append(out.Notes, note)
		}
		return out, err
	}
	if len(in.Paths) > 0 {
		return nil, errors.New("give PATHs or --cluster, not both")
	}
	c := in.Cluster
	cfg, err := cluster.Config{Kubeconfig: c.Kubeconfig, Context: c.Context}.RESTConfig()
	if err != nil {
		return nil, err
	}
	inv, stats, err := cluster.Load(ctx, cfg, cluster.Options{Namespace: in.Namespace, ReadSecrets: c.ReadSecrets})
	if err != nil {
		return nil, err
	}
	out := &Loaded{Inventory: inv}
	var configz map[string][]byte
	if c.KubeletConfigz {
		var warns []string
		if configz, warns, err = cluster.KubeletConfigz(ctx, cfg); err != nil {
			return nil, err
		}
		inv.Warnings = append(inv.Warnings, warns...)
	}
	AddNodeComponents(inv, configz)
	if note := stats.OwnedNote(); note != "" && !c.Reachability {
		out.Notes = append(out.Notes, note)
	}
	if c.Reachability {
		// Each extra list holds only kinds whose controllers the first load does not
		// list, so merging by UID keeps every object once.
		for _, ks := range cluster.ReachabilityKinds() {
			extra, _, err := cluster.Load(ctx, cfg, cluster.Options{Namespace: in.Namespace, Kinds: ks})
			if err != nil {
				return nil, err
			}
			mergeByUID(inv, extra)
		}
	}
	return out, nil
}

// AddNodeComponents adds to an inventory read from a cluster the control plane's
// components as its static pods show them, and the kubelets' configurations (configz,
// by node; nil when not read): the node checks that need no node access. A live scan
// and the operator both call it.
func AddNodeComponents(inv *inventory.Inventory, configz map[string][]byte) {
	comps, warns := node.FromCluster(inv.Objects, configz, nil)
	inv.Add(comps...)
	inv.Warnings = append(inv.Warnings, warns...)
}

// loadBuiltinRBAC puts the bootstrap RBAC policy of the target release (default
// kubeversion.Default) into inv.Builtin: the roles and bindings every cluster has and a
// file scan does not hold. The note says which release's were used when Moat does not
// ship the one asked for.
func loadBuiltinRBAC(inv *inventory.Inventory, kubeVersion string) (note string, err error) {
	want := kubeversion.Default
	if kubeVersion != "" {
		if want, err = kubeversion.Parse(kubeVersion); err != nil {
			return "", fmt.Errorf("--kube-version: %w", err)
		}
	}
	data, used, err := kubeversion.BootstrapRBAC(want)
	if err != nil {
		return "", err
	}
	objs, errs := inventory.Decode(bytes.NewReader(data), kubeversion.BootstrapSource(used))
	if len(errs) > 0 {
		return "", fmt.Errorf("built-in RBAC data of Kubernetes %s: %w", used.MinorString(), errors.Join(errs...))
	}
	inv.Builtin = objs
	if used.Minor != want.Minor {
		note = fmt.Sprintf("Moat has no built-in RBAC roles of Kubernetes %s; RBAC answers use those of %s", want.MinorString(), used.MinorString())
	}
	return note, nil
}

// mergeByUID adds the objects of extra that inv does not hold yet, with its problems.
func mergeByUID(inv, extra *inventory.Inventory) {
	have := make(map[string]bool, len(inv.Objects))
	for _, o := range inv.Objects {
		if uid := string(o.Meta.GetUID()); uid != "" {
			have[uid] = true
		}
	}
	for _, o := range extra.Objects {
		if uid := string(o.Meta.GetUID()); uid == "" || !have[uid] {
			inv.Add(o)
		}
	}
	inv.Warnings = append(inv.Warnings, extra.Warnings...)
	inv.Errors = append(inv.Errors, extra.Errors...)
	inv.Partial = inv.Partial || extra.Partial
}

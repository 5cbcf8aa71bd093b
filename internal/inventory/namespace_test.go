package inventory_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/rbac"
	"github.com/moat-dev/moat/internal/rbac/authz"
)

// namespaces maps "Kind/name" to metadata.namespace of every object.
func namespaces(inv *inventory.Inventory) map[string]string {
	out := map[string]string{}
	for _, o := range inv.Objects {
		out[o.Kind()+"/"+o.Name()] = o.Namespace()
	}
	return out
}

// -n places what is written without a namespace as `kubectl apply -n` and `helm
// template -n` do, in files, charts and overlays, and nothing else.
func TestNamespaceFlagSetsTheNamespaceOfObjectsWrittenWithoutOne(t *testing.T) {
	const unknownWarning = "-n argocd: no CustomResourceDefinition in the scan gives the scope of Gadget.gadgets.example.io, Gizmo.gadgets.example.io; objects of these kinds written without a namespace were left without one"
	tests := []struct {
		name     string
		path     string
		ns       string
		want     map[string]string
		warnings []string
	}{
		{
			name: "plain manifests: namespaced kinds move, cluster-scoped kinds and written namespaces stay",
			path: "testdata/namespace/file", ns: "argocd",
			want: map[string]string{
				"ServiceAccount/argocd-server":   "argocd",
				"Role/argocd-server":             "argocd",
				"RoleBinding/argocd-server":      "argocd",
				"ClusterRole/argocd-server-view": "",
				"ConfigMap/argocd-notifications": "notifications",
				"Namespace/argocd":               "",
				"Service/argocd-repo-server":     "argocd", // an item of a List
			},
		},
		{
			name: "without -n nothing is written in",
			path: "testdata/namespace/file", ns: "",
			want: map[string]string{
				"ServiceAccount/argocd-server":   "",
				"Role/argocd-server":             "",
				"RoleBinding/argocd-server":      "",
				"ClusterRole/argocd-server-view": "",
				"ConfigMap/argocd-notifications": "notifications",
				"Namespace/argocd":               "",
				"Service/argocd-repo-server":     "",
			},
		},
		{
			name: "custom resources take the scope of their CRD in the scan; a kind no CRD declares is named",
			path: "testdata/namespace/custom", ns: "argocd",
			want: map[string]string{
				"CustomResourceDefinition/backups.storage.example.dev":      "",
				"CustomResourceDefinition/backupstores.storage.example.dev": "",
				"CustomResourceDefinition/snapshots.storage.example.dev":    "",
				"Backup/nightly":               "argocd",
				"BackupStore/s3":               "",
				"Snapshot/before-upgrade":      "argocd", // v1beta1 CRD without scope: Namespaced
				"Backup/weekly":                "archive",
				"Gadget/unknown-scope":         "",
				"Gizmo/unknown-scope-too":      "",
				"CiliumNetworkPolicy/deny-all": "argocd",
				"Deployment/removed-api":       "argocd", // extensions/v1beta1: a Kubernetes group
			},
			warnings: []string{unknownWarning},
		},
		{
			name: "a chart: the release namespace, and objects its templates leave without one",
			path: "testdata/namespace/chart", ns: "relay",
			want: map[string]string{
				"ServiceAccount/relay":       "relay",
				"ConfigMap/relay-config":     "relay",
				"ConfigMap/relay-monitoring": "monitoring",
				"ClusterRoleBinding/relay":   "",
			},
		},
		{
			name: "overlays: the kustomization's namespace wins, -n fills the rest",
			path: "testdata/namespace/overlay", ns: "jobs",
			want: map[string]string{
				"ServiceAccount/pinned-worker":     "pinned",
				"ConfigMap/pinned-worker-config":   "pinned",
				"ClusterRole/pinned-worker":        "",
				"ServiceAccount/unpinned-worker":   "jobs",
				"ConfigMap/unpinned-worker-config": "config",
				"ClusterRole/unpinned-worker":      "",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := inventory.Load([]string{tt.path}, inventory.Options{Namespace: tt.ns})
			if len(inv.Errors) > 0 {
				t.Fatalf("errors: %v", inv.Errors)
			}
			if got := namespaces(inv); !maps.Equal(got, tt.want) {
				t.Errorf("namespaces:\n got %v\nwant %v", got, tt.want)
			}
			if !slices.Equal(inv.Warnings, tt.warnings) {
				t.Errorf("warnings %q, want %q", inv.Warnings, tt.warnings)
			}
			// Findings, the index and EffectiveNamespace read the same namespace.
			for _, o := range inv.Objects {
				ns := o.Namespace()
				if ns == "" {
					continue
				}
				if o.Ref().Namespace != ns || o.EffectiveNamespace() != ns || !slices.Contains(inv.InNamespace(ns), o) {
					t.Errorf("%s/%s in %s: Ref %q, EffectiveNamespace %q, indexed there %v", o.Kind(), o.Name(), ns, o.Ref().Namespace, o.EffectiveNamespace(), slices.Contains(inv.InNamespace(ns), o))
				}
				if ns != "default" && slices.Contains(inv.InNamespace("default"), o) {
					t.Errorf("%s/%s in %s is still indexed in default", o.Kind(), o.Name(), ns)
				}
			}
		})
	}
}

// The rendered ConfigMap quotes .Release.Namespace: the chart sees -n too.
func TestNamespaceFlagIsTheReleaseNamespace(t *testing.T) {
	inv := inventory.Load([]string{"testdata/namespace/chart"}, inventory.Options{Namespace: "relay"})
	cm := inv.Find("ConfigMap", "relay", "relay-config")
	if cm == nil || !strings.Contains(string(mustMarshal(t, cm)), `"release-namespace":"relay"`) {
		t.Fatalf("relay-config not rendered in relay: %v", inv.Objects)
	}
}

// A RoleBinding's ServiceAccount subject written without a namespace is in the
// binding's namespace: loaded with -n argocd, `who-can get secrets -n argocd` names
// argocd/argocd-server. Without -n the binding is in default and grants nothing there.
func TestNamespaceFlagReachesRoleBindingSubjects(t *testing.T) {
	q, err := authz.ParseQuestion("get", "secrets", "", "", "argocd")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		ns   string
		want []string
	}{
		{"argocd", []string{"ServiceAccount:argocd/argocd-server"}},
		{"", nil},
	} {
		inv := inventory.Load([]string{"testdata/namespace/file"}, inventory.Options{Namespace: tt.ns})
		var sas []string
		for _, s := range rbac.PolicyOf(inv).WhoCan(q) {
			if s.Kind == "ServiceAccount" {
				sas = append(sas, s.Key())
			}
		}
		if !slices.Equal(sas, tt.want) {
			t.Errorf("loaded with -n %q: who can get secrets in argocd: %v, want %v", tt.ns, sas, tt.want)
		}
	}
}

func mustMarshal(t *testing.T, o *inventory.Object) []byte {
	t.Helper()
	b, err := json.Marshal(o.Obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

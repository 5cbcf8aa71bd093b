package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// updateEnv rewrites the generated data instead of comparing it (the variable every
// golden file of the repository uses).
const updateEnv = "MOAT_UPDATE_GOLDEN"

// bootstrapSelector selects the roles and bindings of the API server's bootstrap policy.
const bootstrapSelector = "kubernetes.io/bootstrapping=rbac-defaults"

// TestBuiltinData is the generator of internal/kubeversion/data/<1.N>/: it starts the
// pinned control plane with the ClusterRole aggregation controller and writes what
// every cluster of that release holds and a file scan cannot see:
//
//   - bootstrap-rbac.yaml: the bootstrap policy (ClusterRoles, ClusterRoleBindings, and
//     the Roles and RoleBindings of every namespace that carry the label
//     kubernetes.io/bootstrapping=rbac-defaults), admin, edit and view aggregated;
//   - api-versions.txt: the API versions and kinds discovery serves, as Helm's
//     .Capabilities.APIVersions holds them.
//
// Without MOAT_UPDATE_GOLDEN=1 it fails on any difference from the checked-in files, so
// a new pinned version cannot ship stale data.
func TestBuiltinData(t *testing.T) {
	c := kubetest.Start(t, kubetest.WithControllerManager("clusterrole-aggregation-controller"))
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	sv, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	minor := strings.TrimRight(sv.Minor, "+")
	release := sv.Major + "." + minor
	waitBootstrapAggregated(t, ctx, cs)

	rbacData := bootstrapRBACYAML(t, ctx, cs, sv.GitVersion)
	apis := apiVersionsText(t, cs, sv.GitVersion)

	root, err := kubetest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "internal", "kubeversion", "data", release)
	for name, data := range map[string][]byte{"bootstrap-rbac.yaml": rbacData, "api-versions.txt": apis} {
		checkGenerated(t, filepath.Join(dir, name), data)
	}
}

// checkGenerated compares a generated file with the checked-in one, or writes it.
func checkGenerated(t *testing.T, path string, got []byte) {
	t.Helper()
	if os.Getenv(updateEnv) == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", path, len(got))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: generate it with %s=1 go test -run TestBuiltinData ./e2e/", err, updateEnv)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		i := 0
		for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
			i++
		}
		line := func(ls []string) string {
			if i < len(ls) {
				return ls[i]
			}
			return "(end of file)"
		}
		t.Errorf("%s differs from what the API server serves, first at line %d:\n  file:   %s\n  server: %s\nregenerate it with %s=1 go test -run TestBuiltinData ./e2e/",
			path, i+1, line(wl), line(gl), updateEnv)
	}
}

// waitBootstrapAggregated waits until the controller manager has given admin, edit and
// view their rules and they have stopped changing for two seconds.
func waitBootstrapAggregated(t *testing.T, ctx context.Context, cs kubernetes.Interface) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last []string
	stableSince := time.Now()
	for time.Now().Before(deadline) {
		var cur []string
		filled := true
		for _, name := range []string{"admin", "edit", "view"} {
			r, err := cs.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			filled = filled && len(r.Rules) > 0
			cur = append(cur, r.ResourceVersion)
		}
		switch {
		case !filled || !slices.Equal(cur, last):
			last, stableSince = cur, time.Now()
		case time.Since(stableSince) > 2*time.Second:
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatal("admin, edit and view were not aggregated in 60s")
}

// bootstrapRBACYAML lists the bootstrap policy and writes it as one YAML stream: kinds
// in the order ClusterRole, ClusterRoleBinding, Role, RoleBinding, each by namespace
// and name, without the fields the server sets.
func bootstrapRBACYAML(t *testing.T, ctx context.Context, cs kubernetes.Interface, version string) []byte {
	t.Helper()
	lo := metav1.ListOptions{LabelSelector: bootstrapSelector}
	crs, err1 := cs.RbacV1().ClusterRoles().List(ctx, lo)
	crbs, err2 := cs.RbacV1().ClusterRoleBindings().List(ctx, lo)
	roles, err3 := cs.RbacV1().Roles("").List(ctx, lo)
	rbs, err4 := cs.RbacV1().RoleBindings("").List(ctx, lo)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			t.Fatal(err)
		}
	}
	var docs []any
	gv := rbacv1.SchemeGroupVersion.String()
	for i := range crs.Items {
		o := &crs.Items[i]
		o.TypeMeta = metav1.TypeMeta{APIVersion: gv, Kind: "ClusterRole"}
		docs = append(docs, o)
		stripServerFields(&o.ObjectMeta)
	}
	for i := range crbs.Items {
		o := &crbs.Items[i]
		o.TypeMeta = metav1.TypeMeta{APIVersion: gv, Kind: "ClusterRoleBinding"}
		docs = append(docs, o)
		stripServerFields(&o.ObjectMeta)
	}
	for i := range roles.Items {
		o := &roles.Items[i]
		o.TypeMeta = metav1.TypeMeta{APIVersion: gv, Kind: "Role"}
		docs = append(docs, o)
		stripServerFields(&o.ObjectMeta)
	}
	for i := range rbs.Items {
		o := &rbs.Items[i]
		o.TypeMeta = metav1.TypeMeta{APIVersion: gv, Kind: "RoleBinding"}
		docs = append(docs, o)
		stripServerFields(&o.ObjectMeta)
	}
	if len(crs.Items) < 50 || len(roles.Items) == 0 {
		t.Fatalf("only %d bootstrap ClusterRoles and %d Roles", len(crs.Items), len(roles.Items))
	}
	slices.SortStableFunc(docs, func(a, b any) int { return strings.Compare(sortKey(a), sortKey(b)) })

	var out bytes.Buffer
	fmt.Fprintf(&out, "# The bootstrap RBAC policy of Kubernetes %s: every object labelled\n", version)
	fmt.Fprintf(&out, "# %s, with admin, edit and view aggregated.\n", bootstrapSelector)
	out.WriteString("# Generated by test/kube/e2e TestBuiltinData from the API server test/kube pins; do not edit.\n")
	for _, d := range docs {
		b, err := yaml.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString("---\n")
		out.Write(b)
	}
	return out.Bytes()
}

// stripServerFields removes what the API server sets on every object.
func stripServerFields(m *metav1.ObjectMeta) {
	m.UID, m.ResourceVersion, m.Generation = "", "", 0
	m.CreationTimestamp = metav1.Time{}
	m.ManagedFields = nil
}

// sortKey orders documents by kind, namespace and name.
func sortKey(o any) string {
	kinds := map[string]string{"ClusterRole": "0", "ClusterRoleBinding": "1", "Role": "2", "RoleBinding": "3"}
	var tm metav1.TypeMeta
	var om metav1.ObjectMeta
	switch v := o.(type) {
	case *rbacv1.ClusterRole:
		tm, om = v.TypeMeta, v.ObjectMeta
	case *rbacv1.ClusterRoleBinding:
		tm, om = v.TypeMeta, v.ObjectMeta
	case *rbacv1.Role:
		tm, om = v.TypeMeta, v.ObjectMeta
	case *rbacv1.RoleBinding:
		tm, om = v.TypeMeta, v.ObjectMeta
	}
	return kinds[tm.Kind] + "\x00" + om.Namespace + "\x00" + om.Name
}

// apiVersionsText lists what discovery serves as Helm's capabilities do: every
// "group/version" ("v1" for the core group), and "group/version/Kind" for every
// resource (subresources left out), sorted, one a line.
func apiVersionsText(t *testing.T, cs kubernetes.Interface, version string) []byte {
	t.Helper()
	groups, resources, err := cs.Discovery().ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, g := range groups {
		for _, v := range g.Versions {
			seen[v.GroupVersion] = true
		}
	}
	for _, rl := range resources {
		if _, err := schema.ParseGroupVersion(rl.GroupVersion); err != nil {
			t.Fatal(err)
		}
		for _, r := range rl.APIResources {
			if strings.Contains(r.Name, "/") {
				continue
			}
			seen[rl.GroupVersion+"/"+r.Kind] = true
		}
	}
	lines := make([]string, 0, len(seen))
	for l := range seen {
		lines = append(lines, l)
	}
	slices.Sort(lines)
	var out bytes.Buffer
	fmt.Fprintf(&out, "# The API versions and kinds Kubernetes %s serves (discovery, subresources left out),\n", version)
	out.WriteString("# one \"group/version\" or \"group/version/Kind\" a line (\"v1\" is the core group).\n")
	out.WriteString("# Generated by test/kube/e2e TestBuiltinData from the API server test/kube pins; do not edit.\n")
	for _, l := range lines {
		out.WriteString(l + "\n")
	}
	return out.Bytes()
}

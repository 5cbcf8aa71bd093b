package e2e

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/moat-dev/moat/test/kube/kubetest"
)

// natural is a difference between a live scan and a file scan of the same objects that
// comes from what a cluster is, not from a fault of the live loader.
type natural struct {
	rule, kind string
	onlyIn     string // "file" or "cluster"
	why        string
}

// naturalDifferences are every difference TestClusterScanMatchesFileScan accepts.
var naturalDifferences = []natural{
	{"secret/committed-secret-data", "Secret", "file",
		"a live scan reads Secrets as metadata only, and a Secret in a cluster is meant to hold its data"},
}

// serverDefaulted are the rules whose message states a field's value: where the file
// leaves the field out, the API server fills in its default, and the same finding on
// the same field says "sets no X, so the API defaults it to D" from a file and "sets X:
// D" from the cluster.
var serverDefaulted = map[string]string{
	"image/pull-policy-not-always": "the API server defaults imagePullPolicy to IfNotPresent for a tagged image",
}

// pairDefaulted removes from both sides the findings of serverDefaulted rules that name
// the same rule, resource and field, and logs them.
func pairDefaulted(t *testing.T, onlyFile, onlyLive map[string]finding) (map[string]finding, map[string]finding) {
	field := func(f finding) string { return f.RuleID + " " + f.Resource.String() + " " + f.Path }
	live := map[string]string{}
	for k, f := range onlyLive {
		live[field(f)] = k
	}
	for k, f := range onlyFile {
		why, ok := serverDefaulted[f.RuleID]
		lk, paired := live[field(f)]
		if !ok || !paired {
			continue
		}
		t.Logf("same finding, message differs as expected (%s):\n  file:    %s\n  cluster: %s", why, f.Message, onlyLive[lk].Message)
		delete(onlyFile, k)
		delete(onlyLive, lk)
	}
	return onlyFile, onlyLive
}

func (n natural) covers(f finding, side string) bool {
	return n.rule == f.RuleID && n.kind == f.Resource.Kind && n.onlyIn == side
}

// TestClusterScanMatchesFileScan applies examples/shop (manifests, chart and overlay, as
// Moat renders them) to a real API server and checks that `moat scan --cluster` finds
// what `moat scan examples/shop` finds, source positions aside. Every difference must be
// one of naturalDifferences.
func TestClusterScanMatchesFileScan(t *testing.T) {
	c := kubetest.Start(t)
	admin := c.RESTConfig()
	objs := render(t, "examples/shop")
	create(t, admin, objs)
	kc := kubeconfigFor(t, admin)

	file, _ := scanJSON(t, []int{0, 1}, "examples/shop")
	live, run := scanJSON(t, []int{0, 1}, "--cluster", "--kubeconfig", kc)
	if len(live.Warnings)+len(live.Errors) > 0 {
		t.Fatalf("an admin's live scan has warnings %q and errors %q", live.Warnings, live.Errors)
	}
	t.Logf("live scan: %d objects, %d findings, %s wall; stderr: %s", live.Summary.Objects, live.Summary.Findings, run.wall, strings.TrimSpace(run.stderr))

	applied, namespaces, clusterScoped := index(objs)
	fileKeys := map[string]finding{}
	for _, f := range file.Findings {
		if f.Resource.Namespace == "" && !clusterScoped[f.Resource.Kind+"/"+f.Resource.Name] {
			f.Resource.Namespace = metav1.NamespaceDefault // written without one, applied to default
		}
		fileKeys[f.key()] = f
	}
	liveKeys := map[string]finding{}
	for _, f := range live.Findings {
		if f.Source != nil {
			t.Errorf("a finding from the cluster has a source: %s %+v", f.key(), *f.Source)
		}
		// The cluster holds more than the example (the API server's own RBAC, the
		// default and kube-system namespaces): compare what the example applied and
		// whatever else is in its namespaces.
		if applied[f.Resource.String()] || namespaces[f.Resource.Namespace] {
			liveKeys[f.key()] = f
		}
	}

	var unexplained []string
	report := func(side string, only map[string]finding) {
		for _, k := range sortedKeys(only) {
			f := only[k]
			i := slices.IndexFunc(naturalDifferences, func(n natural) bool { return n.covers(f, side) })
			if i < 0 {
				unexplained = append(unexplained, fmt.Sprintf("only in the %s scan: %s", side, k))
				continue
			}
			t.Logf("only in the %s scan, as expected (%s): %s", side, naturalDifferences[i].why, k)
		}
	}
	onlyFile, onlyLive := pairDefaulted(t, minus(fileKeys, liveKeys), minus(liveKeys, fileKeys))
	report("file", onlyFile)
	report("cluster", onlyLive)
	if len(unexplained) > 0 {
		t.Errorf("%d differences between the live and the file scan:\n%s", len(unexplained), strings.Join(unexplained, "\n"))
	}
	if same := len(fileKeys) - len(minus(fileKeys, liveKeys)); same == 0 {
		t.Error("the two scans have no finding in common")
	}

	t.Run("-n restricts namespaced kinds to one namespace", func(t *testing.T) {
		shop, _ := scanJSON(t, []int{0, 1}, "--cluster", "--kubeconfig", kc, "-n", "shop")
		for _, f := range shop.Findings {
			ns := f.Resource.Namespace
			if ns != "shop" && ns != "" || f.Resource.Kind == "Namespace" && f.Resource.Name != "shop" {
				t.Errorf("a scan of namespace shop reports %s", f.key())
			}
		}
		var all, inShop []string
		for _, f := range live.Findings {
			if f.Resource.Namespace == "shop" || f.Resource.Kind == "Namespace" && f.Resource.Name == "shop" {
				all = append(all, f.key())
			}
		}
		for _, f := range shop.Findings {
			if f.Resource.Namespace == "shop" || f.Resource.Kind == "Namespace" {
				inShop = append(inShop, f.key())
			}
		}
		sort.Strings(all)
		sort.Strings(inShop)
		if !slices.Equal(all, inShop) {
			t.Errorf("the findings in namespace shop differ between -n shop and -A:\n-n: %q\n-A: %q", inShop, all)
		}
	})
}

// index returns the applied objects as "Kind/namespace/name" (or "Kind/name"), their
// namespaces, and the "Kind/name" of the cluster-scoped ones.
func index(objs []*unstructured.Unstructured) (applied, namespaces, clusterScoped map[string]bool) {
	applied, namespaces, clusterScoped = map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, u := range objs {
		r := resource{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
		applied[r.String()] = true
		if r.Namespace != "" {
			namespaces[r.Namespace] = true
		} else {
			clusterScoped[r.Kind+"/"+r.Name] = true
		}
	}
	return applied, namespaces, clusterScoped
}

func minus(a, b map[string]finding) map[string]finding {
	out := map[string]finding{}
	for k, f := range a {
		if _, ok := b[k]; !ok {
			out[k] = f
		}
	}
	return out
}

func sortedKeys(m map[string]finding) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestLeastPrivilegeServiceAccount runs the scan as the service account of
// deploy/rbac.yaml, bound to exactly its ClusterRole: the scan must see everything an
// admin sees. Then each rule of the role is removed in turn: the scan must go on, warn
// about exactly the kinds that rule granted, and exit 2.
func TestLeastPrivilegeServiceAccount(t *testing.T) {
	ctx := context.Background()
	c := kubetest.Start(t)
	admin := c.RESTConfig()
	create(t, admin, render(t, "deploy/rbac.yaml"))
	create(t, admin, render(t, "examples/shop"))
	full, _ := scanJSON(t, []int{0, 1}, "--cluster", "--kubeconfig", kubeconfigFor(t, admin))

	sa, err := c.ServiceAccountConfig(ctx, "moat-system", "moat")
	if err != nil {
		t.Fatal(err)
	}
	kc := kubeconfigFor(t, sa)

	t.Run("the role gives full coverage", func(t *testing.T) {
		rep, _ := scanJSON(t, []int{0, 1}, "--cluster", "--kubeconfig", kc)
		if len(rep.Warnings)+len(rep.Errors) > 0 {
			t.Fatalf("warnings %q, errors %q", rep.Warnings, rep.Errors)
		}
		if got, want := keys(rep.Findings), keys(full.Findings); !slices.Equal(got, want) {
			t.Errorf("the service account's scan differs from an admin's:\nservice account: %d findings\nadmin: %d findings", len(got), len(want))
		}
		if rep.Summary.Objects != full.Summary.Objects {
			t.Errorf("the service account saw %d objects, an admin %d", rep.Summary.Objects, full.Summary.Objects)
		}
	})

	dyn := dynamic.NewForConfigOrDie(admin)
	roles := dyn.Resource(clusterRoles)
	role, err := roles.Get(ctx, "moat-scanner", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	if len(rules) == 0 {
		t.Fatal("the ClusterRole has no rules")
	}
	setRules := func(t *testing.T, rs []any) {
		t.Helper()
		r, err := roles.Get(ctx, "moat-scanner", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := unstructured.SetNestedSlice(r.Object, rs, "rules"); err != nil {
			t.Fatal(err)
		}
		if _, err := roles.Update(ctx, r, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i, rule := range rules {
		groups, resources := ruleResources(rule)
		t.Run("without list on "+strings.Join(resources, ","), func(t *testing.T) {
			setRules(t, slices.Delete(slices.Clone(rules), i, i+1))
			t.Cleanup(func() { setRules(t, rules) })

			var wantWarnings []string
			for _, g := range groups {
				if !builtinGroups[g] {
					continue // a network plugin's kinds: listed only where they are served
				}
				for _, res := range resources {
					name := res
					if g != "" {
						name += "." + g
					}
					scope := "in all namespaces"
					if clusterScopedResources[name] {
						scope = "(cluster-scoped)"
					}
					wantWarnings = append(wantWarnings, fmt.Sprintf(`cannot list %s %s: missing RBAC "list" on %q`, name, scope, name))
				}
			}
			if len(wantWarnings) == 0 {
				rep, _ := scanJSON(t, []int{0, 1}, "--cluster", "--kubeconfig", kc)
				if len(rep.Warnings) > 0 {
					t.Errorf("a kind the API server does not serve costs coverage: %q", rep.Warnings)
				}
				return
			}
			// RBAC changes reach the authorizer's cache in a moment; wait for it.
			var rep report
			var r run
			deadline := time.Now().Add(15 * time.Second)
			for {
				rep, r = scanJSON(t, []int{0, 1, 2}, "--cluster", "--kubeconfig", kc)
				if r.code == 2 || time.Now().After(deadline) {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if r.code != 2 {
				t.Fatalf("exit %d, want 2 for a partial scan; warnings %q", r.code, rep.Warnings)
			}
			if len(rep.Errors) > 0 {
				t.Errorf("errors %q: a forbidden kind is lost coverage, not an error", rep.Errors)
			}
			if len(rep.Warnings) != len(wantWarnings) {
				t.Errorf("warnings:\n%s\nwant one for each of:\n%s", strings.Join(rep.Warnings, "\n"), strings.Join(wantWarnings, "\n"))
			}
			for _, w := range wantWarnings {
				if !slices.ContainsFunc(rep.Warnings, func(s string) bool { return strings.HasPrefix(s, w) }) {
					t.Errorf("no warning %q in %q", w, rep.Warnings)
				}
			}
			if rep.Summary.Objects == 0 || rep.Summary.Objects >= full.Summary.Objects {
				t.Errorf("the partial scan read %d objects, a full one %d", rep.Summary.Objects, full.Summary.Objects)
			}
			// The other commands read their input through the same pipeline: a
			// partial answer exits 2 with the same warnings, never 0.
			// who-can -n reads only that namespace (and the cluster-scoped kinds), as
			// kubectl -n does: its warnings name the namespace.
			for _, args := range [][]string{
				{"rbac", "who-can", "get", "secrets"},
				{"rbac", "who-can", "get", "secrets", "-n", "shop"},
				{"netpol", "conns"},
			} {
				r := moat(t, append(args, "--cluster", "--kubeconfig", kc)...)
				if r.code != 2 {
					t.Errorf("moat %s --cluster: exit %d, want 2 for a partial answer\nstderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
				}
				for _, w := range wantWarnings {
					if slices.Contains(args, "-n") {
						w = strings.Replace(w, "in all namespaces", `in namespace "shop"`, 1)
					}
					if !strings.Contains(r.stderr, "warning: "+w) {
						t.Errorf("moat %s --cluster: stderr lacks the warning %q:\n%s", strings.Join(args, " "), w, r.stderr)
					}
				}
			}
		})
	}
}

// clusterScopedResources are the resources of deploy/rbac.yaml that have no namespace.
var clusterScopedResources = map[string]bool{
	"namespaces": true, "clusterroles.rbac.authorization.k8s.io": true, "clusterrolebindings.rbac.authorization.k8s.io": true,
}

// builtinGroups are the API groups the API server serves without CRDs.
var builtinGroups = map[string]bool{"": true, "apps": true, "batch": true, "networking.k8s.io": true, "rbac.authorization.k8s.io": true}

func ruleResources(rule any) (groups, resources []string) {
	m, _ := rule.(map[string]any)
	groups, _, _ = unstructured.NestedStringSlice(m, "apiGroups")
	resources, _, _ = unstructured.NestedStringSlice(m, "resources")
	return groups, resources
}

func keys(fs []finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.key()
	}
	sort.Strings(out)
	return out
}

const ownedPods = `
apiVersion: v1
kind: Namespace
metadata: {name: owned}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: owned}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: owned}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      serviceAccountName: app
      containers:
        - {name: db, image: "postgres:16", securityContext: {privileged: true}}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: owned}
spec:
  serviceAccountName: app
  containers:
    - {name: shell, image: "busybox:1.36", securityContext: {privileged: true}}
`

// TestClusterScanLeavesOutControlledPods checks the ownership rule: a pod whose
// controller is in the scan is described by the controller's template and left out; a
// bare pod is scanned; and when the controller cannot be listed, its pods are scanned
// instead, so coverage falls back to them.
func TestClusterScanLeavesOutControlledPods(t *testing.T) {
	ctx := context.Background()
	c := kubetest.Start(t)
	admin := c.RESTConfig()
	create(t, admin, decodeObjects(t, strings.NewReader(ownedPods)))

	// What the StatefulSet controller would create (no controller manager runs here).
	dyn := dynamic.NewForConfigOrDie(admin)
	sts, err := dyn.Resource(statefulSets).Namespace("owned").Get(ctx, "db", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{
			"name": "db-0", "namespace": "owned",
			"ownerReferences": []any{map[string]any{
				"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "uid": string(sts.GetUID()),
				"controller": true, "blockOwnerDeletion": true,
			}},
		},
	}}
	template, _, _ := unstructured.NestedMap(sts.Object, "spec", "template", "spec")
	if err := unstructured.SetNestedMap(pod.Object, template, "spec"); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(pods).Namespace("owned").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	rep, r := scanJSON(t, []int{1}, "--cluster", "--kubeconfig", kubeconfigFor(t, admin), "-n", "owned")
	reported := map[string]bool{}
	for _, f := range rep.Findings {
		reported[f.Resource.String()] = true
	}
	for res, want := range map[string]bool{"StatefulSet/owned/db": true, "Pod/owned/debug": true, "Pod/owned/db-0": false} {
		if reported[res] != want {
			t.Errorf("%s reported: %v, want %v", res, reported[res], want)
		}
	}
	if want := "left out 1 Pod owned by controllers in the scan"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q does not say %q", r.stderr, want)
	}

	t.Run("a pod whose controller cannot be listed is scanned", func(t *testing.T) {
		create(t, admin, decodeObjects(t, strings.NewReader(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pods-only}
rules: [{apiGroups: [""], resources: [pods, namespaces], verbs: [list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: pods-only}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pods-only}
subjects: [{kind: User, name: pod-reader, apiGroup: rbac.authorization.k8s.io}]
`)))
		user, err := c.UserConfig("pod-reader")
		if err != nil {
			t.Fatal(err)
		}
		rep, r := scanJSON(t, []int{2}, "--cluster", "--kubeconfig", kubeconfigFor(t, user), "-n", "owned")
		if !slices.ContainsFunc(rep.Findings, func(f finding) bool { return f.Resource.String() == "Pod/owned/db-0" }) {
			t.Errorf("the pod of an unlisted StatefulSet is not reported; findings %q", keys(rep.Findings))
		}
		if !slices.ContainsFunc(rep.Warnings, func(w string) bool {
			return strings.HasPrefix(w, `cannot list statefulsets.apps in namespace "owned": missing RBAC "list" on "statefulsets.apps"`)
		}) {
			t.Errorf("no warning about statefulsets in %q", rep.Warnings)
		}
		if strings.Contains(r.stderr, "left out") {
			t.Errorf("stderr %q: nothing should be left out", r.stderr)
		}
	})
}

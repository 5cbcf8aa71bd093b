package reports

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/moat-dev/moat/internal/finding"
)

// The Writer's behaviour against a real API server (parts accepted, sizes, stale parts
// deleted, Prune) is tested end to end in test/kube/e2e/reports_test.go. These tests use
// client-go's fake only for what a real server does not do on demand: conflicts, and the
// requests a Sync makes.

func fakeClient(api API, objs ...runtime.Object) *fake.FakeDynamicClient {
	namespaced, cluster := api.Resources()
	nk, ck := api.Kinds()
	return fake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		namespaced: nk.Kind + "List",
		cluster:    ck.Kind + "List",
	}, objs...)
}

// writes are the verbs of the requests that change something.
func writes(c *fake.FakeDynamicClient) []string {
	var out []string
	for _, a := range c.Actions() {
		switch v := a.GetVerb(); v {
		case "create", "update", "delete":
			out = append(out, v+" "+a.GetNamespace()+"/"+nameOf(a))
		}
	}
	return out
}

func nameOf(a k8stesting.Action) string {
	switch a := a.(type) {
	case k8stesting.CreateAction:
		return a.GetObject().(*unstructured.Unstructured).GetName()
	case k8stesting.UpdateAction:
		return a.GetObject().(*unstructured.Unstructured).GetName()
	case k8stesting.DeleteAction:
		return a.GetName()
	}
	return ""
}

func names(t *testing.T, c *fake.FakeDynamicClient, api API, ns string) []string {
	t.Helper()
	namespaced, cluster := api.Resources()
	var l *unstructured.UnstructuredList
	var err error
	if ns == "" {
		l, err = c.Resource(cluster).List(context.Background(), metav1.ListOptions{})
	} else {
		l, err = c.Resource(namespaced).Namespace(ns).List(context.Background(), metav1.ListOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, u := range l.Items {
		out = append(out, u.GetName())
	}
	slices.Sort(out)
	return out
}

func TestSyncWritesOnlyWhatChanged(t *testing.T) {
	for _, api := range []API{OpenReports, WGPolicy} {
		t.Run(api.String(), func(t *testing.T) {
			ctx := context.Background()
			c := fakeClient(api)
			w := NewWriter(c, Options{API: api, MaxBytes: 16 << 10, Now: fixedNow})
			big := workloadFindings("shop", 60)
			var all, createAll, deleteRest []string
			for _, u := range Build(w.opt, "shop", big, nil) {
				all = append(all, u.GetName())
				createAll = append([]string{"create shop/" + u.GetName()}, createAll...)
				if u.GetName() != "moat-shop" {
					deleteRest = append(deleteRest, "delete shop/"+u.GetName())
				}
			}
			slices.Sort(all)
			slices.Sort(deleteRest)
			if len(all) < 3 {
				t.Fatalf("%d parts, want several", len(all))
			}
			steps := []struct {
				name       string
				fs         []finding.Finding
				wantWrote  bool
				wantNames  []string
				wantWrites []string
			}{
				{"first sync creates every part, last first", big, true, all, createAll},
				{"same findings write nothing", big, false, all, nil},
				{"fewer findings: part 1 updated, the rest deleted", big[:3], true,
					[]string{"moat-shop"}, append([]string{"update shop/moat-shop"}, deleteRest...)},
				{"clean namespace keeps an empty report", nil, true, []string{"moat-shop"}, []string{"update shop/moat-shop"}},
			}
			for _, s := range steps {
				c.ClearActions()
				wrote, err := w.Sync(ctx, "shop", s.fs, nil)
				if err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				if wrote != s.wantWrote {
					t.Errorf("%s: wrote %v, want %v", s.name, wrote, s.wantWrote)
				}
				got := writes(c)
				// Stale parts are deleted in no particular order.
				if i := slices.IndexFunc(got, func(s string) bool { return strings.HasPrefix(s, "delete") }); i >= 0 {
					slices.Sort(got[i:])
				}
				if !slices.Equal(got, s.wantWrites) {
					t.Errorf("%s: writes %q, want %q", s.name, got, s.wantWrites)
				}
				if n := names(t, c, api, "shop"); !slices.Equal(n, s.wantNames) {
					t.Errorf("%s: reports %q, want %q", s.name, n, s.wantNames)
				}
			}
		})
	}
}

func TestSyncLeavesOtherReportsAlone(t *testing.T) {
	ctx := context.Background()
	other := &unstructured.Unstructured{}
	other.SetAPIVersion("openreports.io/v1alpha1")
	other.SetKind("Report")
	other.SetNamespace("shop")
	other.SetName("moat-shop-extra")
	other.SetLabels(map[string]string{LabelManagedBy: "moat"})
	c := fakeClient(OpenReports, other)
	w := NewWriter(c, Options{Now: fixedNow})
	if _, err := w.Sync(ctx, "shop", workloadFindings("shop", 2), nil); err != nil {
		t.Fatal(err)
	}
	if n := names(t, c, OpenReports, "shop"); !slices.Equal(n, []string{"moat-shop", "moat-shop-extra"}) {
		t.Errorf("reports %q, want moat-shop and the other report kept", n)
	}
}

func TestSyncRetriesConflictsABoundedNumberOfTimes(t *testing.T) {
	cases := []struct {
		name         string
		conflicts    int
		wantErr      string
		wantUpdates  int
		wantReadsGet int
	}{
		{"one conflict is retried", 1, "", 2, 1},
		{"conflicts every time give up", 100, "gave up after 3 attempts", 3, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := fakeClient(OpenReports)
			w := NewWriter(c, Options{Now: fixedNow})
			if _, err := w.Sync(ctx, "shop", workloadFindings("shop", 2), nil); err != nil {
				t.Fatal(err)
			}
			left := tc.conflicts
			c.PrependReactor("update", "reports", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if left == 0 {
					return false, nil, nil
				}
				left--
				return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "openreports.io", Resource: "reports"}, "moat-shop", nil)
			})
			c.ClearActions()
			wrote, err := w.Sync(ctx, "shop", workloadFindings("shop", 1), nil)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Sync: %v, want error %q", err, tc.wantErr)
			}
			if wrote != (tc.wantErr == "") {
				t.Errorf("wrote %v", wrote)
			}
			var updates, gets int
			for _, a := range c.Actions() {
				switch a.GetVerb() {
				case "update":
					updates++
				case "get":
					gets++
				}
			}
			if updates != tc.wantUpdates || gets != tc.wantReadsGet {
				t.Errorf("%d updates and %d gets, want %d and %d", updates, gets, tc.wantUpdates, tc.wantReadsGet)
			}
		})
	}
}

func TestSyncRefusesMisplacedInput(t *testing.T) {
	cases := []struct {
		name    string
		ns      string
		fs      []finding.Finding
		errs    []string
		wantErr string
	}{
		{"finding of another namespace", "shop", workloadFindings("bank", 1), nil, `is not of namespace "shop"`},
		{"namespaced finding in the cluster report", "", workloadFindings("bank", 1), nil, `is not of namespace ""`},
		{"input errors in a namespace report", "shop", nil, []string{"list pods: forbidden"}, "belong in the cluster report"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeClient(OpenReports)
			_, err := NewWriter(c, Options{}).Sync(context.Background(), tc.ns, tc.fs, tc.errs)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Sync: %v, want error %q", err, tc.wantErr)
			}
			if len(c.Actions()) != 0 {
				t.Errorf("requests made: %v", c.Actions())
			}
		})
	}
}

func TestPruneDeletesReportsOfNamespacesNotKept(t *testing.T) {
	ctx := context.Background()
	c := fakeClient(WGPolicy)
	w := NewWriter(c, Options{API: WGPolicy, MaxBytes: 16 << 10, Now: fixedNow})
	for _, ns := range []string{"shop", "bank", "gone"} {
		if _, err := w.Sync(ctx, ns, workloadFindings(ns, 40), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Sync(ctx, "", nil, []string{"list pods: forbidden"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Prune(ctx, map[string]bool{"shop": true, "bank": true}); err != nil {
		t.Fatal(err)
	}
	for ns, want := range map[string]bool{"shop": true, "bank": true, "gone": false, "": true} {
		if got := len(names(t, c, WGPolicy, ns)) > 0; got != want {
			t.Errorf("namespace %q has reports: %v, want %v", ns, got, want)
		}
	}
}

func TestSyncWithoutTheCRDSaysSo(t *testing.T) {
	c := fakeClient(OpenReports)
	c.PrependReactor("list", "reports", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewNotFound(schema.GroupResource{Group: "openreports.io", Resource: "reports"}, "")
	})
	_, err := NewWriter(c, Options{}).Sync(context.Background(), "shop", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "is the CustomResourceDefinition reports.openreports.io installed?") {
		t.Fatalf("Sync: %v, want a hint about the CRD", err)
	}
}

func TestConcurrentSyncsOfOneNamespaceLeaveWholeReports(t *testing.T) {
	// Syncs of one namespace take turns: whichever runs last, its parts are all there
	// and no other Sync's part is left over.
	ctx := context.Background()
	c := fakeClient(OpenReports)
	w := NewWriter(c, Options{MaxBytes: 16 << 10, Now: fixedNow})
	sizes := []int{1, 40, 5, 60, 20, 2, 80, 10}
	var wg sync.WaitGroup
	for _, n := range sizes {
		for _, ns := range []string{"shop", "bank"} {
			wg.Go(func() {
				if _, err := w.Sync(ctx, ns, workloadFindings(ns, n), nil); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if len(w.locks.m) != 0 {
		t.Errorf("%d locks left after every Sync returned", len(w.locks.m))
	}
	for _, ns := range []string{"shop", "bank"} {
		got := names(t, c, OpenReports, ns)
		var matched bool
		for _, n := range sizes {
			var want []string
			for _, u := range Build(w.opt, ns, workloadFindings(ns, n), nil) {
				want = append(want, u.GetName())
			}
			slices.Sort(want)
			matched = matched || slices.Equal(got, want)
		}
		if !matched {
			t.Errorf("%s has parts %q, which no single Sync makes", ns, got)
		}
	}
}

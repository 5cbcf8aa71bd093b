package cluster

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/moat-dev/moat/internal/inventory"
)

// pages serves canned list pages in order and records the options of each request.
type pages struct {
	lists []runtime.Object
	errAt int // the request that fails, counting from 1; 0 for none
	seen  []metav1.ListOptions
}

func (p *pages) fetch(opts metav1.ListOptions) (runtime.Object, error) {
	p.seen = append(p.seen, opts)
	n := len(p.seen)
	if n == p.errAt {
		return nil, apierrors.NewResourceExpired("the provided continue parameter is too old")
	}
	return p.lists[n-1], nil
}

func podList(cont string, names ...string) *corev1.PodList {
	l := &corev1.PodList{ListMeta: metav1.ListMeta{Continue: cont}}
	for _, n := range names {
		l.Items = append(l.Items, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: "shop"}})
	}
	return l
}

func names(objs []*inventory.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Name())
	}
	return out
}

func TestPaginateFollowsContinueTokens(t *testing.T) {
	pods := kindNamed(t, "Pod")
	p := &pages{lists: []runtime.Object{
		podList("token-2", "a", "b"),
		podList("token-3", "c", "d"),
		podList("", "e"),
	}}
	r := paginate(pods, "", metav1.ListOptions{Limit: 2}, p.fetch)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got, want := names(r.objs), []string{"a", "b", "c", "d", "e"}; !slices.Equal(got, want) {
		t.Errorf("objects %v, want %v", got, want)
	}
	var tokens []string
	for _, o := range p.seen {
		tokens = append(tokens, o.Continue)
		if o.Limit != 2 {
			t.Errorf("a request has limit %d, want 2", o.Limit)
		}
	}
	if want := []string{"", "token-2", "token-3"}; !slices.Equal(tokens, want) {
		t.Errorf("continue tokens sent %q, want %q", tokens, want)
	}
	for _, o := range r.objs {
		if o.GVK != pods.GVK || o.Obj.GetObjectKind().GroupVersionKind() != pods.GVK {
			t.Errorf("%s: GVK %v, object's %v, want %v on both", o.Name(), o.GVK, o.Obj.GetObjectKind().GroupVersionKind(), pods.GVK)
		}
		if o.Source != nil {
			t.Errorf("%s: a cluster object has source %v", o.Name(), o.Source)
		}
		if _, ok := o.Obj.(*corev1.Pod); !ok {
			t.Errorf("%s: object is %T, want *v1.Pod", o.Name(), o.Obj)
		}
	}
}

func TestPaginateKeepsPagesBeforeAFailure(t *testing.T) {
	pods := kindNamed(t, "Pod")
	p := &pages{lists: []runtime.Object{podList("token-2", "a", "b")}, errAt: 2}
	r := paginate(pods, "shop", metav1.ListOptions{Limit: 2}, p.fetch)
	if got := names(r.objs); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("objects %v, want the first page's", got)
	}
	if r.err == nil || r.err.Lost() || r.err.Namespace != "shop" || !apierrors.IsResourceExpired(r.err) {
		t.Errorf("error %v, want an expired continue token as an error of the scan", r.err)
	}
}

func TestPaginateMetadataAndUnstructuredLists(t *testing.T) {
	secrets := kindNamed(t, "Secret")
	meta := &metav1.PartialObjectMetadataList{Items: []metav1.PartialObjectMetadata{
		{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop", Annotations: map[string]string{"a": "b"}}},
	}}
	r := paginate(secrets, "", metav1.ListOptions{}, (&pages{lists: []runtime.Object{meta}}).fetch)
	if len(r.objs) != 1 {
		t.Fatalf("%d objects, want 1", len(r.objs))
	}
	o := r.objs[0]
	if _, ok := o.Obj.(*metav1.PartialObjectMetadata); !ok || o.Kind() != "Secret" || o.Ref().APIVersion != "v1" {
		t.Errorf("got %T %s %s, want metadata of a v1 Secret", o.Obj, o.Ref().APIVersion, o.Kind())
	}
	if o.Meta.GetAnnotations()["a"] != "b" || o.EffectiveNamespace() != "shop" {
		t.Errorf("metadata lost: %v", o.Meta)
	}

	var cilium Kind
	for _, k := range Kinds() {
		if k.GVK.Kind == "CiliumNetworkPolicy" {
			cilium = k
		}
	}
	u := &unstructured.UnstructuredList{Items: []unstructured.Unstructured{{Object: map[string]any{
		"metadata": map[string]any{"name": "deny-all", "namespace": "shop"},
	}}}}
	r = paginate(cilium, "", metav1.ListOptions{}, (&pages{lists: []runtime.Object{u}}).fetch)
	if len(r.objs) != 1 || r.objs[0].Kind() != "CiliumNetworkPolicy" || r.objs[0].GVK.Group != "cilium.io" || r.objs[0].Name() != "deny-all" {
		t.Errorf("got %v, want the CiliumNetworkPolicy deny-all", r.objs)
	}
}

// object wraps a typed object as a list would give it.
func object(t *testing.T, kind string, obj runtime.Object) *inventory.Object {
	t.Helper()
	return inventory.New(obj, kindNamed(t, kind).GVK, nil)
}

func controlledBy(uid string) []metav1.OwnerReference {
	return []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "x", UID: types.UID(uid), Controller: ptr(true)}}
}

func ptr[T any](v T) *T { return &v }

func om(name, uid string, owners []metav1.OwnerReference) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "shop", UID: types.UID(uid), OwnerReferences: owners}
}

func TestAssembleLeavesOutWhatControllersDescribe(t *testing.T) {
	ks := []Kind{kindNamed(t, "ConfigMap"), kindNamed(t, "Secret"), kindNamed(t, "Deployment"), kindNamed(t, "ReplicaSet"), kindNamed(t, "Pod")}
	notOwner := []metav1.OwnerReference{{Kind: "ReplicaSet", Name: "web", UID: "rs-web"}} // an owner, not the controller
	mirror := []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: "node-1", UID: "node-1", Controller: ptr(true)}}
	results := []listResult{
		{objs: []*inventory.Object{
			// A ConfigMap that a Deployment controls carries no pod spec: it is kept.
			object(t, "ConfigMap", &corev1.ConfigMap{ObjectMeta: om("web-config", "cm", controlledBy("deploy-web"))}),
		}},
		{err: &ListError{Kind: ks[1], Namespace: "shop", Err: apierrors.NewForbidden(ks[1].GVR().GroupResource(), "", errors.New("no"))}},
		{objs: []*inventory.Object{
			object(t, "Deployment", &appsv1.Deployment{ObjectMeta: om("web", "deploy-web", nil)}),
		}},
		{objs: []*inventory.Object{
			object(t, "ReplicaSet", &appsv1.ReplicaSet{ObjectMeta: om("web-1", "rs-web", controlledBy("deploy-web"))}),
			object(t, "ReplicaSet", &appsv1.ReplicaSet{ObjectMeta: om("rollout-1", "rs-rollout", controlledBy("argo-rollout"))}),
		}},
		{objs: []*inventory.Object{
			object(t, "Pod", &corev1.Pod{ObjectMeta: om("web-1-a", "p1", controlledBy("rs-web"))}),
			object(t, "Pod", &corev1.Pod{ObjectMeta: om("web-1-b", "p2", controlledBy("rs-web"))}),
			object(t, "Pod", &corev1.Pod{ObjectMeta: om("rollout-1-a", "p3", controlledBy("rs-rollout"))}),
			object(t, "Pod", &corev1.Pod{ObjectMeta: om("debug", "p4", nil)}),
			object(t, "Pod", &corev1.Pod{ObjectMeta: om("adopted", "p5", notOwner)}),
			object(t, "Pod", &corev1.Pod{ObjectMeta: om("etcd-node-1", "p6", mirror)}),
			object(t, "Pod", &corev1.Pod{ObjectMeta: om("orphan", "p7", controlledBy("rs-deleted"))}),
		}},
	}
	inv, stats := assemble(ks, results)

	want := []string{"web-config", "web", "rollout-1", "debug", "adopted", "etcd-node-1", "orphan"}
	if got := names(inv.Objects); !slices.Equal(got, want) {
		t.Errorf("inventory %v\n     want %v", got, want)
	}
	if got := fmt.Sprint(stats.Owned); got != "map[Pod:3 ReplicaSet:1]" {
		t.Errorf("owned %s", got)
	}
	if want := "left out 1 ReplicaSet and 3 Pods owned by controllers in the scan: the controllers' pod templates are checked instead"; stats.OwnedNote() != want {
		t.Errorf("note\n got %s\nwant %s", stats.OwnedNote(), want)
	}
	if !inv.Partial || len(inv.Warnings) != 1 || len(inv.Errors) != 0 {
		t.Errorf("partial %v, warnings %q, errors %v: want one warning for the forbidden Secrets", inv.Partial, inv.Warnings, inv.Errors)
	}
}

func TestAssembleErrorsAndSkippedKinds(t *testing.T) {
	ks := []Kind{kindNamed(t, "Pod"), kindNamed(t, "Service")}
	results := []listResult{
		{objs: []*inventory.Object{object(t, "Pod", &corev1.Pod{ObjectMeta: om("a", "p1", nil)})},
			err: &ListError{Kind: ks[0], Err: apierrors.NewResourceExpired("too old")}},
		{}, // a kind the API server does not serve
	}
	inv, stats := assemble(ks, results)
	if inv.Partial || len(inv.Warnings) != 0 || len(inv.Errors) != 1 {
		t.Errorf("partial %v, warnings %q, errors %v: want one error and no lost coverage", inv.Partial, inv.Warnings, inv.Errors)
	}
	if len(inv.Objects) != 1 {
		t.Errorf("%d objects, want the one listed before the failure", len(inv.Objects))
	}
	if stats.OwnedNote() != "" {
		t.Errorf("note %q with nothing left out", stats.OwnedNote())
	}
}

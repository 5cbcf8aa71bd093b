package operator

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/moat-dev/moat/internal/cluster"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/scan"
)

// watcher keeps a cache of every kind a scan lists, with one informer per kind, and
// collects what changed. Secrets are watched as metadata only, as a live scan lists
// them; kinds of network plugins only where the API server serves them.
type watcher struct {
	kinds     []cluster.Kind
	informers []cache.SharedIndexInformer

	mu      sync.Mutex
	pending scan.Change
	changed int              // objects changed since the last take
	failed  map[string]error // a kind's last list or watch error, by kind
	notify  chan struct{}    // one signal: something changed
}

// newWatcher prepares the informers; run starts them.
func newWatcher(cfg *rest.Config) (*watcher, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.UserAgent == "" {
		cfg.UserAgent = "moat-operator"
	}
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 50, 100
	}
	typedCfg := rest.CopyConfig(cfg)
	typedCfg.ContentType = runtime.ContentTypeProtobuf
	typedCfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	cs, err := kubernetes.NewForConfig(typedCfg)
	if err != nil {
		return nil, err
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := disc.ServerVersion(); err != nil {
		return nil, fmt.Errorf("cannot reach the cluster at %s: %w", cfg.Host, err)
	}

	w := &watcher{failed: map[string]error{}, notify: make(chan struct{}, 1)}
	factory := informers.NewSharedInformerFactory(cs, 0)
	for _, k := range cluster.Kinds() {
		var inf cache.SharedIndexInformer
		switch {
		case k.Optional:
			ok, err := served(disc, k)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			inf = dynamicinformer.NewFilteredDynamicInformer(dyn, k.GVR(), metav1.NamespaceAll, 0, cache.Indexers{}, nil).Informer()
		case k.GVK.Kind == "Secret" && k.GVK.Group == "":
			inf = metadatainformer.NewFilteredMetadataInformer(meta, k.GVR(), metav1.NamespaceAll, 0, cache.Indexers{}, nil).Informer()
		default:
			gi, err := factory.ForResource(k.GVR())
			if err != nil {
				return nil, fmt.Errorf("no informer for %s: %w", k, err)
			}
			inf = gi.Informer()
		}
		if err := w.add(k, inf); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// add wires one kind's informer: objects are stored lean and typed as a scan holds
// them, and each event is recorded as a change.
func (w *watcher) add(k cluster.Kind, inf cache.SharedIndexInformer) error {
	gvk := k.GVK
	if err := inf.SetTransform(func(obj any) (any, error) {
		if o, ok := obj.(runtime.Object); ok {
			// A list's items and a watch's objects carry no kind; the rules read it.
			o.GetObjectKind().SetGroupVersionKind(gvk)
		}
		if m, err := meta.Accessor(obj); err == nil {
			m.SetManagedFields(nil) // large, and read by no rule
		}
		return obj, nil
	}); err != nil {
		return err
	}
	if err := inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		w.mu.Lock()
		w.failed[gvk.Kind] = err
		w.mu.Unlock()
	}); err != nil {
		return err
	}
	record := func(obj any) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		m, err := meta.Accessor(obj)
		if err != nil {
			return
		}
		w.mu.Lock()
		w.pending.Add(gvk.Kind, m.GetNamespace(), m.GetName())
		w.changed++
		delete(w.failed, gvk.Kind)
		w.mu.Unlock()
		select {
		case w.notify <- struct{}{}:
		default:
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: record,
		UpdateFunc: func(old, obj any) {
			if a, b := metaOf(old), metaOf(obj); a != nil && b != nil && a.GetResourceVersion() == b.GetResourceVersion() {
				return // a resync, not a change
			}
			record(obj)
		},
		DeleteFunc: record,
	}); err != nil {
		return err
	}
	w.kinds = append(w.kinds, k)
	w.informers = append(w.informers, inf)
	return nil
}

func metaOf(obj any) metav1.Object {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil
	}
	return m
}

// run starts the informers; they stop when ctx ends.
func (w *watcher) run(ctx context.Context) {
	for _, inf := range w.informers {
		go inf.RunWithContext(ctx)
	}
}

// waitSynced waits until every informer has its first list, or has failed to get it
// (a kind the operator may not list: the reports then say so), or ctx ends.
func (w *watcher) waitSynced(ctx context.Context) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		done := true
		w.mu.Lock()
		for i, inf := range w.informers {
			if !inf.HasSynced() && w.failed[w.kinds[i].GVK.Kind] == nil {
				done = false
				break
			}
		}
		w.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// take returns what changed since the last take, and how many events that was.
func (w *watcher) take() (scan.Change, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch, n := w.pending, w.changed
	w.pending, w.changed = scan.Change{}, 0
	return ch, n
}

// depth is the number of changes waiting to be evaluated.
func (w *watcher) depth() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

// snapshot is the cluster as the caches hold it now, assembled as a live scan
// assembles its lists. A kind that could not be listed is an error (or, when
// forbidden or not served, a warning and a partial inventory), as in a scan.
func (w *watcher) snapshot() *inventory.Inventory {
	lists := make([][]*inventory.Object, len(w.kinds))
	var listErrs []*cluster.ListError
	w.mu.Lock()
	for i, k := range w.kinds {
		if err := w.failed[k.GVK.Kind]; err != nil && !w.informers[i].HasSynced() {
			listErrs = append(listErrs, &cluster.ListError{Kind: k, Err: err})
		}
	}
	w.mu.Unlock()
	for i, k := range w.kinds {
		items := w.informers[i].GetStore().List()
		objs := make([]*inventory.Object, 0, len(items))
		for _, it := range items {
			if o, ok := it.(runtime.Object); ok {
				objs = append(objs, inventory.New(o, k.GVK, nil))
			}
		}
		// The API lists in namespace and name order; the caches keep no order.
		slices.SortFunc(objs, func(a, b *inventory.Object) int {
			if c := strings.Compare(a.Meta.GetNamespace(), b.Meta.GetNamespace()); c != 0 {
				return c
			}
			return strings.Compare(a.Meta.GetName(), b.Meta.GetName())
		})
		lists[i] = objs
	}
	inv := cluster.Assemble(w.kinds, lists)
	for _, e := range listErrs {
		if e.Lost() {
			inv.Warnings = append(inv.Warnings, e.Error())
			inv.Partial = true
		} else {
			inv.Errors = append(inv.Errors, e)
		}
	}
	scan.AddNodeComponents(inv, nil)
	return inv
}

// served asks discovery whether the API server serves an optional kind.
func served(d discovery.DiscoveryInterface, k cluster.Kind) (bool, error) {
	rl, err := d.ServerResourcesForGroupVersion(k.GVK.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("discovery of %s: %w", k.GVK.GroupVersion(), err)
	}
	return slices.ContainsFunc(rl.APIResources, func(r metav1.APIResource) bool { return r.Name == k.Resource }), nil
}

package cluster

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/moat-dev/moat/internal/inventory"
)

// Options steer a cluster load.
type Options struct {
	// Namespace restricts namespaced kinds to one namespace; empty means all namespaces.
	Namespace string
	// ReadSecrets lists Secrets whole, data included; by default only their metadata is read.
	ReadSecrets bool
	// PageSize is the number of objects per list request (limit); 0 means 500, as kubectl.
	PageSize int64
	// Concurrency is the number of kinds listed at once; 0 means 4.
	Concurrency int
	// Kinds are the kinds to list; nil means Kinds().
	Kinds []Kind
}

const (
	defaultPageSize    = 500
	defaultConcurrency = 4
	// requestTimeout bounds one list request when the configuration sets no timeout.
	requestTimeout = 60 * time.Second
)

// Load lists the cluster's objects into an inventory. Lists that fail are reported in
// the inventory (Errors, or Warnings and Partial for kinds the credentials may not
// list); Load itself fails only when the cluster cannot be reached at all.
func Load(ctx context.Context, cfg *rest.Config, opt Options) (*inventory.Inventory, *Stats, error) {
	if opt.PageSize <= 0 {
		opt.PageSize = defaultPageSize
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = defaultConcurrency
	}
	if opt.Kinds == nil {
		opt.Kinds = kinds
	}
	l, err := newLoader(cfg, opt)
	if err != nil {
		return nil, nil, err
	}
	if _, err := l.discovery.ServerVersion(); err != nil {
		return nil, nil, fmt.Errorf("cannot reach the cluster at %s: %w", cfg.Host, err)
	}

	results := make([]listResult, len(opt.Kinds))
	g := new(errgroup.Group)
	g.SetLimit(opt.Concurrency)
	for i, k := range opt.Kinds {
		g.Go(func() error {
			results[i] = l.list(ctx, k)
			return nil
		})
	}
	_ = g.Wait() // list errors are kept in results: one kind failing does not stop the others
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	inv, stats := assemble(opt.Kinds, results)
	listedNamespaces := slices.ContainsFunc(opt.Kinds, func(k Kind) bool { return k.GVK == namespaceGVK })
	if opt.Namespace != "" && listedNamespaces && len(inv.Kind("Namespace")) == 0 && !inv.Partial && len(inv.Errors) == 0 {
		inv.Warnings = append(inv.Warnings, fmt.Sprintf("namespace %q does not exist", opt.Namespace))
	}
	return inv, stats, nil
}

// Assemble builds an inventory from the objects of each kind (objs[i] are of ks[i]),
// as Load does from its lists: in kind order, each kind's objects in the order given,
// and without the objects whose controller is among them. The operator builds its
// view of the cluster with it from its informers' caches, so that it judges what a
// scan judges.
func Assemble(ks []Kind, objs [][]*inventory.Object) *inventory.Inventory {
	results := make([]listResult, len(ks))
	for i := range ks {
		results[i].objs = objs[i]
	}
	inv, _ := assemble(ks, results)
	return inv
}

// listResult is what listing one kind gave.
type listResult struct {
	objs []*inventory.Object
	err  *ListError
}

// assemble builds the inventory in kind order, whatever order the lists finished in, so
// that a scan's output is the same from run to run. Objects owned by a controller that is
// in the scan are left out (see the package comment).
func assemble(ks []Kind, results []listResult) (*inventory.Inventory, *Stats) {
	stats := &Stats{Owned: map[string]int{}, kinds: ks}
	controllers := map[string]bool{} // UIDs of listed objects that carry a pod template
	for i, k := range ks {
		if !carriesPods(k) {
			continue
		}
		for _, o := range results[i].objs {
			controllers[string(o.Meta.GetUID())] = true
		}
	}
	inv := inventory.NewInventory(nil)
	for i, k := range ks {
		r := results[i]
		kept := r.objs
		if carriesPods(k) {
			listed := len(r.objs)
			kept = slices.DeleteFunc(r.objs, func(o *inventory.Object) bool {
				c := metav1.GetControllerOfNoCopy(o.Meta)
				return c != nil && controllers[string(c.UID)]
			})
			if n := listed - len(kept); n > 0 {
				stats.Owned[k.GVK.Kind] = n
			}
		}
		inv.Add(kept...)
		if r.err == nil {
			continue
		}
		if r.err.Lost() {
			inv.Warnings = append(inv.Warnings, r.err.Error())
			inv.Partial = true
		} else {
			inv.Errors = append(inv.Errors, r.err)
		}
	}
	return inv, stats
}

// podKinds are the kinds that carry a pod spec, and so may be described by their
// controller (podspec.Kinds).
var podKinds = map[schema.GroupKind]bool{
	{Group: "", Kind: "Pod"}:                   true,
	{Group: "", Kind: "ReplicationController"}: true,
	{Group: "", Kind: "PodTemplate"}:           true,
	{Group: "apps", Kind: "Deployment"}:        true,
	{Group: "apps", Kind: "ReplicaSet"}:        true,
	{Group: "apps", Kind: "StatefulSet"}:       true,
	{Group: "apps", Kind: "DaemonSet"}:         true,
	{Group: "batch", Kind: "Job"}:              true,
	{Group: "batch", Kind: "CronJob"}:          true,
	// Optional kinds, listed where served: a Rollout owns ReplicaSets, a
	// DeploymentConfig ReplicationControllers.
	{Group: "argoproj.io", Kind: "Rollout"}:                true,
	{Group: "apps.openshift.io", Kind: "DeploymentConfig"}: true,
}

func carriesPods(k Kind) bool { return podKinds[k.GVK.GroupKind()] }

// loader holds the clients of one Load; they share one HTTP client and so its
// connections.
type loader struct {
	opt       Options
	typed     map[schema.GroupVersion]rest.Interface
	metadata  metadata.Interface
	dynamic   dynamic.Interface
	discovery discovery.DiscoveryInterface
}

func newLoader(in *rest.Config, opt Options) (*loader, error) {
	cfg := rest.CopyConfig(in)
	if cfg.QPS == 0 {
		// client-go's default of 5 requests a second would make a large cluster's scan
		// wait on the client; the server's priority and fairness still applies.
		cfg.QPS, cfg.Burst = 50, 100
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = requestTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "moat"
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	l := &loader{opt: opt, typed: map[schema.GroupVersion]rest.Interface{}}
	if l.metadata, err = metadata.NewForConfigAndClient(cfg, hc); err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	if l.dynamic, err = dynamic.NewForConfigAndClient(cfg, hc); err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	if l.discovery, err = discovery.NewDiscoveryClientForConfigAndClient(cfg, hc); err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	for _, k := range opt.Kinds {
		gv := k.GVK.GroupVersion()
		if k.Optional || l.typed[gv] != nil {
			continue
		}
		if l.typed[gv], err = typedClient(cfg, hc, gv); err != nil {
			return nil, fmt.Errorf("cluster client for %s: %w", gv, err)
		}
	}
	return l, nil
}

// typedClient is a REST client of one group version that decodes into the client-go
// scheme's types, preferring protobuf (smaller and faster to decode than JSON).
func typedClient(in *rest.Config, hc *http.Client, gv schema.GroupVersion) (rest.Interface, error) {
	cfg := rest.CopyConfig(in)
	cfg.GroupVersion = &gv
	cfg.APIPath = "/apis"
	if gv.Group == "" {
		cfg.APIPath = "/api"
	}
	cfg.ContentType = runtime.ContentTypeProtobuf
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	return rest.RESTClientForConfigAndClient(cfg, hc)
}

// list reads every page of one kind. Each page is decoded into typed objects (or
// unstructured ones for optional kinds, or metadata for Secrets) and wrapped at once;
// the page's bytes are not kept.
func (l *loader) list(ctx context.Context, k Kind) listResult {
	ns := ""
	if k.Namespaced {
		ns = l.opt.Namespace
	}
	if k.Optional {
		served, err := l.served(k)
		if err != nil {
			return listResult{err: &ListError{Kind: k, Namespace: ns, Err: err}}
		}
		if !served {
			return listResult{}
		}
	}
	opts := metav1.ListOptions{Limit: l.opt.PageSize}
	if k.GVK == namespaceGVK && l.opt.Namespace != "" {
		opts.FieldSelector = fields.OneTermEqualSelector("metadata.name", l.opt.Namespace).String()
	}
	return paginate(k, ns, opts, func(opts metav1.ListOptions) (runtime.Object, error) {
		return l.page(ctx, k, ns, opts)
	})
}

// paginate fetches the pages of one kind, following continue tokens, and wraps each
// page's items as they come. A failing page ends the list; the objects of the pages
// before it are kept.
func paginate(k Kind, ns string, opts metav1.ListOptions, fetch func(metav1.ListOptions) (runtime.Object, error)) listResult {
	var r listResult
	fail := func(err error) listResult {
		r.err = &ListError{Kind: k, Namespace: ns, Err: err}
		return r
	}
	for {
		page, err := fetch(opts)
		if err != nil {
			return fail(err)
		}
		err = meta.EachListItem(page, func(obj runtime.Object) error {
			// Items of a list carry no apiVersion and kind of their own.
			obj.GetObjectKind().SetGroupVersionKind(k.GVK)
			r.objs = append(r.objs, inventory.New(obj, k.GVK, nil))
			return nil
		})
		if err != nil {
			return fail(err)
		}
		lm, err := meta.ListAccessor(page)
		if err != nil {
			return fail(err)
		}
		if opts.Continue = lm.GetContinue(); opts.Continue == "" {
			return r
		}
	}
}

var (
	namespaceGVK = schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}
	secretGVK    = schema.GroupVersionKind{Version: "v1", Kind: "Secret"}
)

// page lists one page of a kind.
func (l *loader) page(ctx context.Context, k Kind, ns string, opts metav1.ListOptions) (runtime.Object, error) {
	switch {
	case k.Optional:
		return l.dynamic.Resource(k.GVR()).Namespace(ns).List(ctx, opts)
	case k.GVK == secretGVK && !l.opt.ReadSecrets:
		return l.metadata.Resource(k.GVR()).Namespace(ns).List(ctx, opts)
	}
	list, err := scheme.Scheme.New(k.GVK.GroupVersion().WithKind(k.GVK.Kind + "List"))
	if err != nil {
		return nil, err
	}
	err = l.typed[k.GVK.GroupVersion()].Get().
		NamespaceIfScoped(ns, ns != "").
		Resource(k.Resource).
		VersionedParams(&opts, scheme.ParameterCodec).
		Do(ctx).
		Into(list)
	return list, err
}

// served asks discovery whether the API server serves an optional kind.
func (l *loader) served(k Kind) (bool, error) {
	rl, err := l.discovery.ServerResourcesForGroupVersion(k.GVK.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("discovery of %s: %w", k.GVK.GroupVersion(), err)
	}
	for _, r := range rl.APIResources {
		if r.Name == k.Resource {
			return true, nil
		}
	}
	return false, nil
}

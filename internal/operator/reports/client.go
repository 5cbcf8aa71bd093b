package reports

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// Reader reads Moat's reports through the API server, whichever report API the operator
// writes.
type Reader struct {
	dyn  dynamic.Interface
	disc discovery.DiscoveryInterface
	host string
}

// NewReader returns a Reader of the reports in the cluster cfg names.
func NewReader(cfg *rest.Config) (*Reader, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Reader{dyn: dyn, disc: disc, host: cfg.Host}, nil
}

// readAttempts bounds how often a report caught mid-rewrite (its parts from different
// writes) is read again.
const readAttempts = 4

// readOrder are the report APIs in the order Read tries them: the operator writes one,
// and a cluster may serve both (the chart installs both sets of CRDs).
var readOrder = []API{OpenReports, WGPolicy}

// Read returns the reports of namespace ns, or of every namespace and the cluster reports
// when ns is "" (metav1.NamespaceAll), from the first served API that has any, each
// whole (see Assemble). A namespace without a report, an API the server does not serve
// or a permission the credentials lack is an error that says what to do.
func (r *Reader) Read(ctx context.Context, ns string) ([]Report, error) {
	served, err := r.served()
	if err != nil {
		return nil, err
	}
	if len(served) == 0 {
		return nil, errors.New("the cluster serves no report API Moat writes (openreports.io/v1alpha1 or wgpolicyk8s.io/v1alpha2): install Moat's chart (deploy/charts/moat), which installs the CRDs and the operator")
	}
	for _, api := range served {
		rs, err := r.readAPI(ctx, api, ns)
		if rs != nil || err != nil {
			return rs, err
		}
	}
	if ns == "" {
		return nil, errors.New("the cluster holds no Moat report: is the Moat operator running (helm install moat deploy/charts/moat)?")
	}
	return nil, fmt.Errorf("namespace %q has no Moat report: the operator writes one (moat-%s) for every namespace that holds objects; check that the namespace exists and that the Moat operator runs (kubectl get pods -l app.kubernetes.io/component=operator -A)", ns, ns)
}

// readAPI reads the reports of one API, nil when there is none. A report caught while
// the operator rewrites it (its parts from different writes) is read again, a few
// times, a little later each time.
func (r *Reader) readAPI(ctx context.Context, api API, ns string) ([]Report, error) {
	for attempt := 1; ; attempt++ {
		objs, err := r.list(ctx, api, ns)
		if err != nil || len(objs) == 0 {
			return nil, err
		}
		rs, err := Assemble(objs)
		var torn *tornReportError
		if !errors.As(err, &torn) || attempt == readAttempts {
			if err != nil {
				return nil, err
			}
			return rs, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
}

// served lists the report APIs the API server serves, in readOrder.
func (r *Reader) served() ([]API, error) {
	var out []API
	for _, api := range readOrder {
		gvr, _ := api.Resources()
		rl, err := r.disc.ServerResourcesForGroupVersion(gvr.GroupVersion().String())
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("cannot reach the cluster at %s: %w", r.host, err)
		}
		if slices.ContainsFunc(rl.APIResources, func(res metav1.APIResource) bool { return res.Name == gvr.Resource }) {
			out = append(out, api)
		}
	}
	return out, nil
}

// list lists Moat's reports of an API: of namespace ns, or of every namespace and the
// cluster reports when ns is "".
func (r *Reader) list(ctx context.Context, api API, ns string) ([]*unstructured.Unstructured, error) {
	namespaced, clusterRes := api.Resources()
	out, err := r.listResource(ctx, namespaced, ns)
	if err != nil || ns != "" {
		return out, err
	}
	cl, err := r.listResource(ctx, clusterRes, "")
	return append(out, cl...), err
}

// listResource lists Moat's reports of one resource, listPage at a time.
func (r *Reader) listResource(ctx context.Context, gvr schema.GroupVersionResource, ns string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	opts := metav1.ListOptions{LabelSelector: ManagedSelector, Limit: listPage}
	for {
		l, err := r.dyn.Resource(gvr).Namespace(ns).List(ctx, opts)
		if err != nil {
			return nil, readListError(gvr, ns, err)
		}
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
		if opts.Continue = l.GetContinue(); opts.Continue == "" {
			return out, nil
		}
	}
}

// readListError says why reports could not be listed, and what permission is missing.
func readListError(gvr schema.GroupVersionResource, ns string, err error) error {
	where := "in all namespaces"
	if ns != "" {
		where = fmt.Sprintf("in namespace %q", ns)
	}
	res := gvr.GroupResource().String()
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("cannot list %s %s: the credentials lack RBAC \"list\" on %q there (kubectl auth can-i list %s -n NAMESPACE)", res, where, res, res)
	}
	return fmt.Errorf("cannot list %s %s: %w", res, where, err)
}

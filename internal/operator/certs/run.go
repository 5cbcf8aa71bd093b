package certs

import (
	"context"
	"sync"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// Bounds of Run's schedule.
const (
	minWait    = 50 * time.Millisecond
	maxWait    = time.Hour // look again at least this often, whatever the dates say
	minBackoff = time.Second
	maxBackoff = time.Minute
)

// Run is a loop of Reconcile; the operator runs it while leader. It reconciles when a
// check is due, after a failure with a backoff from 1 s to 1 min, and at once when the
// Secret or a webhook configuration changes (a `helm upgrade` that resets a caBundle
// is repaired within a round trip). It returns nil when ctx ends, or the options'
// error at once.
func (r *Rotator) Run(ctx context.Context) error {
	if err := r.opt.Validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	kick := make(chan struct{}, 1)
	for _, c := range r.watches(kick) {
		wg.Go(func() { c.RunWithContext(ctx) })
	}
	backoff := minBackoff
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-kick:
		}
		next, err := r.Reconcile(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			r.log.Error("webhook certificates", "err", err, "retry-in", backoff)
			next = min(next, backoff)
			if next == 0 {
				next = backoff
			}
			backoff = min(2*backoff, maxBackoff)
		} else {
			backoff = minBackoff
		}
		timer.Reset(min(max(next, minWait), maxWait))
	}
}

// watches are informers on the Secret and on each webhook configuration, by name (so
// that RBAC may grant list and watch on these names only), that kick the loop on any
// change.
func (r *Rotator) watches(kick chan<- struct{}) []cache.Controller {
	notify := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify() },
		UpdateFunc: func(any, any) { notify() },
		DeleteFunc: func(any) { notify() },
	}
	byName := func(name string) func(*metav1.ListOptions) {
		return func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
		}
	}
	secrets := r.cs.CoreV1().Secrets(r.opt.Secret.Namespace)
	vwcs := r.cs.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	out := []cache.Controller{informer(&corev1.Secret{}, byName(r.opt.Secret.Name), handler,
		func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return secrets.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return secrets.Watch(ctx, o) })}
	for _, name := range r.opt.Webhooks {
		out = append(out, informer(&admissionregistrationv1.ValidatingWebhookConfiguration{}, byName(name), handler,
			func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return vwcs.List(ctx, o) },
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return vwcs.Watch(ctx, o) }))
	}
	return out
}

func informer(obj runtime.Object, selectName func(*metav1.ListOptions), h cache.ResourceEventHandler,
	list cache.ListWithContextFunc, watchFn cache.WatchFuncWithContext) cache.Controller {
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			selectName(&o)
			return list(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			selectName(&o)
			return watchFn(ctx, o)
		},
	}
	_, c := cache.NewInformerWithOptions(cache.InformerOptions{ListerWatcher: lw, ObjectType: obj, Handler: h})
	return c
}

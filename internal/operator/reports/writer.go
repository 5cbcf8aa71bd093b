package reports

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/moat-dev/moat/internal/finding"
)

// FieldManager is the field manager of Moat's writes to reports.
const FieldManager = "moat"

// maxAttempts bounds the writes of one part: a conflict (someone wrote the part between
// the read and the write) or a create that finds the part already there is retried after
// a fresh read, at most this many times in all.
const maxAttempts = 3

// listPage is how many reports one list request asks for: each may be up to MaxBytes.
const listPage = 16

// Writer writes reports through the API server. It is safe for concurrent use: Syncs of
// one namespace run one at a time, in the order they take the namespace's lock.
type Writer struct {
	dyn dynamic.Interface
	// meta lists reports as metadata only, when set: a Sync reads only the names,
	// resourceVersions and hashes of the parts, not their results (MiB each).
	meta  metadata.Interface
	opt   Options
	locks keyedMutex
}

// NewWriter returns a Writer that writes reports in opt.API through dyn. It reads whole
// reports to learn what is there; NewWriterForConfig reads only their metadata.
func NewWriter(dyn dynamic.Interface, opt Options) *Writer {
	return &Writer{dyn: dyn, opt: opt}
}

// NewWriterForConfig returns a Writer that writes reports in opt.API through the API
// server cfg names, and lists them as metadata only: an unchanged Sync of a report of
// many parts then reads a few hundred bytes per part rather than the parts.
func NewWriterForConfig(cfg *rest.Config, opt Options) (*Writer, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Writer{dyn: dyn, meta: meta, opt: opt}, nil
}

// part is what a Sync needs to know of a part in the cluster.
type part struct {
	namespace, name, resourceVersion, hash string
}

func partOf(m metav1.Object) part {
	return part{m.GetNamespace(), m.GetName(), m.GetResourceVersion(), m.GetAnnotations()[AnnotationHash]}
}

// gvr is the resource of the reports of namespace ns ("" is the cluster report).
func (w *Writer) gvr(ns string) schema.GroupVersionResource {
	namespaced, cluster := w.opt.API.Resources()
	if ns == "" {
		return cluster
	}
	return namespaced
}

// resource is the client of the reports of namespace ns ("" is the cluster report).
func (w *Writer) resource(ns string) dynamic.ResourceInterface {
	if ns == "" {
		return w.dyn.Resource(w.gvr(ns))
	}
	return w.dyn.Resource(w.gvr(ns)).Namespace(ns)
}

// Sync makes the reports of namespace ns ("" = the cluster report) hold exactly fs (all
// findings whose Resource.Namespace == ns; for "" also errs, the input errors), creating,
// updating (only when the hash differs) and deleting parts. It returns whether it wrote.
//
// Parts are written from the last to the first and stale parts deleted after the first:
// the first part names how many there are, so a reader who follows it finds every part
// it names while a report grows, and at worst a part too many while it shrinks.
func (w *Writer) Sync(ctx context.Context, ns string, fs []finding.Finding, errs []string) (bool, error) {
	base := ReportName(ns)
	if i := slices.IndexFunc(fs, func(f finding.Finding) bool { return f.Resource.Namespace != ns }); i >= 0 {
		return false, fmt.Errorf("sync report %s: finding %d (%s on %s) is not of namespace %q", base, i, fs[i].RuleID, fs[i].Resource, ns)
	}
	if ns != "" && len(errs) > 0 {
		return false, fmt.Errorf("sync report %s: input errors belong in the cluster report, not namespace %q", base, ns)
	}
	unlock := w.locks.lock(ns)
	defer unlock()

	want := Build(w.opt, ns, fs, errs)
	ri := w.resource(ns)
	have, err := w.parts(ctx, ns, base)
	if err != nil {
		return false, fmt.Errorf("sync report %s: %w", base, err)
	}
	wrote := false
	for i := len(want) - 1; i >= 0; i-- {
		u := want[i]
		var cur *part
		if p, ok := have[u.GetName()]; ok {
			cur = &p
		}
		changed, err := put(ctx, ri, u, cur)
		wrote = wrote || changed
		if err != nil {
			return wrote, fmt.Errorf("sync report %s: %w", base, err)
		}
		delete(have, u.GetName())
	}
	for name := range have {
		err := ri.Delete(ctx, name, metav1.DeleteOptions{})
		switch {
		case err == nil:
			wrote = true
		case !apierrors.IsNotFound(err):
			return wrote, fmt.Errorf("sync report %s: delete stale part %s: %w", base, name, err)
		}
	}
	return wrote, nil
}

// parts are the parts of the report named base, of namespace ns, in the cluster.
func (w *Writer) parts(ctx context.Context, ns, base string) (map[string]part, error) {
	have := map[string]part{}
	err := w.list(ctx, w.gvr(ns), ns, func(p part) {
		if partNumber(base, p.name) > 0 {
			have[p.name] = p
		}
	})
	return have, err
}

// list calls each for every report of resource gvr that Moat manages in namespace ns
// (metav1.NamespaceAll: every namespace, or a cluster-scoped resource), a page at a time.
func (w *Writer) list(ctx context.Context, gvr schema.GroupVersionResource, ns string, each func(part)) error {
	opts := metav1.ListOptions{LabelSelector: ManagedSelector, Limit: listPage}
	for {
		var next string
		if w.meta != nil {
			l, err := w.meta.Resource(gvr).Namespace(ns).List(ctx, opts)
			if err != nil {
				return listError(gvr, err)
			}
			for i := range l.Items {
				each(partOf(&l.Items[i]))
			}
			next = l.Continue
		} else {
			l, err := w.dyn.Resource(gvr).Namespace(ns).List(ctx, opts)
			if err != nil {
				return listError(gvr, err)
			}
			for i := range l.Items {
				each(partOf(&l.Items[i]))
			}
			next = l.GetContinue()
		}
		if next == "" {
			return nil
		}
		opts.Continue = next
	}
}

// listError says what failed, and what is the likely cause when the resource is unknown.
func listError(gvr schema.GroupVersionResource, err error) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("list %s: %w (is the CustomResourceDefinition %s.%s installed?)", gvr.GroupResource(), err, gvr.Resource, gvr.Group)
	}
	return fmt.Errorf("list %s: %w", gvr.GroupResource(), err)
}

// put writes one part: it creates it when absent (have is nil), updates it when its hash
// differs from the one in the cluster, and does nothing when they are equal. A conflict
// or a create that finds the part present reads it again, at most maxAttempts writes in
// all.
func put(ctx context.Context, ri dynamic.ResourceInterface, want *unstructured.Unstructured, have *part) (bool, error) {
	name := want.GetName()
	for attempt := 1; ; attempt++ {
		var err error
		if have == nil {
			want.SetResourceVersion("")
			_, err = ri.Create(ctx, want, metav1.CreateOptions{FieldManager: FieldManager})
			if err == nil {
				return true, nil
			}
			if !apierrors.IsAlreadyExists(err) {
				return false, fmt.Errorf("create %s: %w", name, err)
			}
		} else {
			if have.hash == want.GetAnnotations()[AnnotationHash] {
				return false, nil
			}
			want.SetResourceVersion(have.resourceVersion)
			_, err = ri.Update(ctx, want, metav1.UpdateOptions{FieldManager: FieldManager})
			if err == nil {
				return true, nil
			}
			if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
				return false, fmt.Errorf("update %s: %w", name, err)
			}
		}
		if attempt == maxAttempts {
			return false, fmt.Errorf("write %s: gave up after %d attempts: %w", name, attempt, err)
		}
		u, err := ri.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			have = nil
		case err != nil:
			return false, fmt.Errorf("read %s: %w", name, err)
		default:
			p := partOf(u)
			have = &p
		}
	}
}

// Prune deletes every Moat-managed report (label selector) of a namespace not in keep
// (the cluster report is never pruned). It goes on past a failed delete and returns
// every error.
func (w *Writer) Prune(ctx context.Context, keep map[string]bool) error {
	namespaced, _ := w.opt.API.Resources()
	var stale []part
	err := w.list(ctx, namespaced, metav1.NamespaceAll, func(p part) {
		if !keep[p.namespace] {
			stale = append(stale, p)
		}
	})
	if err != nil {
		return fmt.Errorf("prune reports: %w", err)
	}
	var errs []error
	for _, p := range stale {
		if err := w.deleteReport(ctx, p.namespace, p.name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deleteReport deletes one report, under its namespace's lock so that it does not cut
// into a Sync of the namespace.
func (w *Writer) deleteReport(ctx context.Context, ns, name string) error {
	unlock := w.locks.lock(ns)
	defer unlock()
	err := w.resource(ns).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("prune report %s/%s: %w", ns, name, err)
	}
	return nil
}

// keyedMutex is a mutex per key, forgotten when nobody holds or waits for it.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	sync.Mutex
	refs int
}

// lock locks key's mutex and returns its unlock.
func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyedEntry{}
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()

	e.Lock()
	return func() {
		e.Unlock()
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

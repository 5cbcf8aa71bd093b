package operator

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/inventory"
	"github.com/moat-dev/moat/internal/scan"
)

// ReportWriter keeps the report objects of a namespace ("" for the cluster report)
// equal to the findings given; reports.Writer is the one `moat serve operator` uses.
type ReportWriter interface {
	Sync(ctx context.Context, ns string, fs []finding.Finding, errs []string) (bool, error)
	Prune(ctx context.Context, keep map[string]bool) error
}

// Source adds findings to the reports beside those of the cluster's objects: it is
// the seam through which later capabilities report in the cluster (the node checks of
// `moat node` running as a DaemonSet, image scans). A source keeps its current
// findings; the operator reads them at each reconcile and reconciles again when the
// source signals Changed. A finding goes to the report of its Resource.Namespace.
type Source interface {
	Name() string
	Findings(ctx context.Context) ([]finding.Finding, error)
	Changed() <-chan struct{}
}

// Options configure an Operator.
type Options struct {
	Config    *rest.Config
	Evaluator *scan.Evaluator // its findings must keep the suppressed ones (ShowSuppressed)
	Reports   ReportWriter
	Sources   []Source
	// Debounce is how long changes are gathered before they are evaluated (default
	// 200ms); it is counted from the first change, so a stream of changes still
	// reaches the reports within Debounce and one evaluation.
	Debounce time.Duration
	// Resync is the period of the full evaluation that catches what no event says
	// (an exception's expiry) and checks the incremental state (default 10m).
	Resync  time.Duration
	Metrics *Metrics
	Log     *slog.Logger
}

// Operator keeps the reports of a cluster current.
type Operator struct {
	opt   Options
	w     *watcher
	inc   *scan.Incremental
	ready atomic.Bool

	// written is the hash of what each namespace's report last received.
	written    map[string][32]byte
	namespaces map[string]bool // those of the last reconcile, for pruning
	sourceKick chan struct{}
}

// New connects to the cluster and prepares the watches; Start starts them.
func New(opt Options) (*Operator, error) {
	if opt.Evaluator == nil || opt.Reports == nil || opt.Config == nil {
		return nil, errors.New("operator: Config, Evaluator and Reports are required")
	}
	if opt.Debounce <= 0 {
		opt.Debounce = 200 * time.Millisecond
	}
	if opt.Resync <= 0 {
		opt.Resync = 10 * time.Minute
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Metrics == nil {
		opt.Metrics = NewMetrics(nil, 0)
	}
	w, err := newWatcher(opt.Config)
	if err != nil {
		return nil, err
	}
	o := &Operator{opt: opt, w: w, inc: opt.Evaluator.Incremental(), written: map[string][32]byte{}, sourceKick: make(chan struct{}, 1)}
	opt.Metrics.queueDepth(w.depth)
	return o, nil
}

// Start starts the watches (every replica keeps warm caches, so that a new leader
// writes at once) and returns; they stop when ctx ends.
func (o *Operator) Start(ctx context.Context) {
	o.w.run(ctx)
	for _, s := range o.opt.Sources {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-s.Changed():
					select {
					case o.sourceKick <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	go func() {
		if o.w.waitSynced(ctx) == nil {
			o.ready.Store(true)
			o.opt.Log.Info("caches synced", "kinds", len(o.w.kinds))
		}
	}()
}

// Ready says whether the caches hold the cluster.
func (o *Operator) Ready() bool { return o.ready.Load() }

// Run writes the reports and keeps them current until ctx ends: the leader's work.
func (o *Operator) Run(ctx context.Context) error {
	if err := o.w.waitSynced(ctx); err != nil {
		return err
	}
	o.w.take() // the first evaluation is whole
	if err := o.reconcile(ctx, scan.Change{All: true}, 0, "full"); err != nil {
		o.opt.Log.Error("reconcile", "err", err)
	}
	resync := time.NewTicker(o.opt.Resync)
	defer resync.Stop()
	var debounce <-chan time.Time
	retry := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-o.w.notify:
		case <-o.sourceKick:
			// A source changed: its findings are read in the next reconcile.
			o.w.mu.Lock()
			o.w.changed++
			o.w.mu.Unlock()
		case <-debounce:
			debounce = nil
			ch, n := o.w.take()
			if err := o.reconcile(ctx, ch, n, "incremental"); err != nil {
				o.opt.Log.Error("reconcile", "err", err)
				retry = min(max(2*retry, time.Second), time.Minute)
				debounce = time.After(retry)
				continue
			}
			retry = 0
			continue
		case <-resync.C:
			debounce = nil
			if err := o.resync(ctx); err != nil {
				o.opt.Log.Error("resync", "err", err)
			}
			continue
		}
		if debounce == nil {
			debounce = time.After(o.opt.Debounce)
		}
	}
}

// resync evaluates the pending changes incrementally, then everything afresh, counts
// a difference between the two as drift, and writes the full result.
func (o *Operator) resync(ctx context.Context) error {
	ch, n := o.w.take()
	inv := o.w.snapshot()
	incremental := o.inc.Evaluate(ctx, inv, ch)
	start := time.Now()
	full := o.inc.Evaluate(ctx, inv, scan.Change{All: true})
	if a, b := digest(incremental.Findings), digest(full.Findings); a != b {
		o.opt.Metrics.drift.Inc()
		o.opt.Log.Warn("the incremental evaluation differed from a full one; the full one is written",
			"incrementalFindings", len(incremental.Findings), "fullFindings", len(full.Findings))
	}
	return o.write(ctx, inv, full, n, "full", start)
}

// reconcile evaluates what changed and writes the reports whose content changed.
func (o *Operator) reconcile(ctx context.Context, ch scan.Change, n int, mode string) error {
	start := time.Now()
	inv := o.w.snapshot()
	res := o.inc.Evaluate(ctx, inv, ch)
	return o.write(ctx, inv, res, n, mode, start)
}

func (o *Operator) write(ctx context.Context, inv *inventory.Inventory, res *scan.Result, changes int, mode string, start time.Time) error {
	m := o.opt.Metrics
	byNS := map[string][]finding.Finding{}
	namespaces := map[string]bool{"": true}
	for _, ns := range inv.Kind("Namespace") {
		namespaces[ns.Meta.GetName()] = true
	}
	for _, obj := range inv.Objects {
		namespaces[obj.Meta.GetNamespace()] = true
	}
	fs := res.Findings
	var sourceErrs []string
	for _, s := range o.opt.Sources {
		sf, err := s.Findings(ctx)
		if err != nil {
			sourceErrs = append(sourceErrs, fmt.Sprintf("source %s: %v", s.Name(), err))
			continue
		}
		fs = append(slices.Clip(fs), sf...)
	}
	for _, f := range fs {
		byNS[f.Resource.Namespace] = append(byNS[f.Resource.Namespace], f)
		namespaces[f.Resource.Namespace] = true
	}
	clusterErrs := slices.Concat(res.Errors, prefixed("warning: ", res.Warnings), sourceErrs)

	var failed []error
	for _, ns := range slices.Sorted(maps.Keys(namespaces)) {
		var errs []string
		if ns == "" {
			errs = clusterErrs
		}
		h := hashOf(byNS[ns], errs)
		if prev, ok := o.written[ns]; ok && prev == h {
			continue
		}
		wrote, err := o.opt.Reports.Sync(ctx, ns, byNS[ns], errs)
		if err != nil {
			m.errors.WithLabelValues("report_write").Inc()
			failed = append(failed, fmt.Errorf("report of namespace %q: %w", ns, err))
			continue
		}
		if wrote {
			m.writes.Inc()
		}
		o.written[ns] = h
	}
	if !maps.Equal(namespaces, o.namespaces) {
		if err := o.opt.Reports.Prune(ctx, namespaces); err != nil {
			m.errors.WithLabelValues("report_prune").Inc()
			failed = append(failed, fmt.Errorf("pruning reports: %w", err))
		} else {
			o.namespaces = namespaces
			for ns := range o.written {
				if !namespaces[ns] {
					delete(o.written, ns)
				}
			}
		}
	}
	m.observe(fs, len(inv.Objects), mode, time.Since(start))
	if len(failed) > 0 {
		return errors.Join(failed...)
	}
	m.lastSuccess.SetToCurrentTime()
	o.opt.Log.Debug("reconciled", "mode", mode, "changes", changes, "objects", len(inv.Objects), "findings", len(fs), "took", time.Since(start))
	return nil
}

func prefixed(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

// hashOf identifies a report's content: a namespace whose findings did not change is
// not written again.
func hashOf(fs []finding.Finding, errs []string) [32]byte {
	h := sha256.New()
	e := json.NewEncoder(h)
	_ = e.Encode(fs) // plain data: cannot fail
	_ = e.Encode(errs)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func digest(fs []finding.Finding) [32]byte { return hashOf(fs, nil) }

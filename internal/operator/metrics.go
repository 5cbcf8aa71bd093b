package operator

import (
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/rule"
)

// Metrics are the operator's Prometheus metrics. Their names are stable: dashboards and
// alerts depend on them. Every label value comes from a bounded set: severities, the
// registered rules' IDs, and at most MaxNamespaces namespaces (the rest are "other"),
// so that a cluster of many namespaces cannot grow /metrics without bound.
type Metrics struct {
	findings    *prometheus.GaugeVec // by severity
	byRule      *prometheus.GaugeVec // by rule and severity
	byNamespace *prometheus.GaugeVec // by namespace and severity
	objects     prometheus.Gauge
	reconciles  *prometheus.HistogramVec
	errors      *prometheus.CounterVec
	writes      prometheus.Counter
	drift       prometheus.Counter
	lastSuccess prometheus.Gauge
	leader      prometheus.Gauge
	reg         prometheus.Registerer

	maxNamespaces int
	rules         map[string]bool
	mu            sync.Mutex
	nsSeen        map[[2]string]bool // label pairs set last time, to delete the gone ones
	ruleSeen      map[[2]string]bool
}

// DefaultMaxNamespaces bounds the namespace label of the findings metric.
const DefaultMaxNamespaces = 1000

// NewMetrics registers the metrics with reg (a new registry when nil).
func NewMetrics(reg prometheus.Registerer, maxNamespaces int) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if maxNamespaces <= 0 {
		maxNamespaces = DefaultMaxNamespaces
	}
	m := &Metrics{
		findings: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "moat_findings", Help: "Current findings in the cluster's reports, by severity (suppressed ones left out).",
		}, []string{"severity"}),
		byRule: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "moat_findings_by_rule", Help: "Current findings by rule and severity.",
		}, []string{"rule", "severity"}),
		byNamespace: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "moat_findings_by_namespace",
			Help: "Current findings by namespace (\"\" for cluster-scoped resources; beyond the first namespaces in name order, \"other\") and severity.",
		}, []string{"namespace", "severity"}),
		objects: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "moat_operator_objects", Help: "Objects the last evaluation judged.",
		}),
		reconciles: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "moat_operator_reconcile_duration_seconds", Help: "Time from the start of an evaluation to its reports written, by mode (incremental, full).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"mode"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moat_operator_errors_total", Help: "Errors of the operator, by reason (report_write, report_prune).",
		}, []string{"reason"}),
		writes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "moat_operator_report_writes_total", Help: "Reports created, updated or deleted because their content changed.",
		}),
		drift: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "moat_operator_resync_drift_total", Help: "Full resyncs whose findings differed from the incremental evaluation's (should stay 0).",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "moat_operator_last_success_timestamp_seconds", Help: "When the reports were last brought up to date.",
		}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "moat_operator_leader", Help: "1 while this replica holds the lease and writes the reports.",
		}),
		reg:           reg,
		maxNamespaces: maxNamespaces,
		rules:         map[string]bool{},
		nsSeen:        map[[2]string]bool{},
		ruleSeen:      map[[2]string]bool{},
	}
	for _, r := range rule.All() {
		m.rules[r.ID] = true
	}
	m.errors.WithLabelValues("report_write")
	m.errors.WithLabelValues("report_prune")
	reg.MustRegister(m.findings, m.byRule, m.byNamespace, m.objects, m.reconciles, m.errors, m.writes, m.drift, m.lastSuccess, m.leader)
	return m
}

// SetLeader records whether this replica leads.
func (m *Metrics) SetLeader(on bool) {
	if on {
		m.leader.Set(1)
	} else {
		m.leader.Set(0)
	}
}

// queueDepth exports the number of changes waiting.
func (m *Metrics) queueDepth(f func() int) {
	_ = m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "moat_operator_queue_depth", Help: "Object changes received and not yet evaluated.",
	}, func() float64 { return float64(f()) }))
}

// observe sets the findings gauges to fs and records an evaluation.
func (m *Metrics) observe(fs []finding.Finding, objects int, mode string, took time.Duration) {
	m.reconciles.WithLabelValues(mode).Observe(took.Seconds())
	m.objects.Set(float64(objects))

	bySev := map[string]int{}
	byRule := map[[2]string]int{}
	byNS := map[[2]string]int{}
	var nss []string
	seenNS := map[string]bool{}
	for _, f := range fs {
		if f.Suppressed != nil {
			continue
		}
		if !seenNS[f.Resource.Namespace] {
			seenNS[f.Resource.Namespace] = true
			nss = append(nss, f.Resource.Namespace)
		}
	}
	slices.Sort(nss)
	labelled := map[string]bool{}
	for i, ns := range nss {
		labelled[ns] = i < m.maxNamespaces
	}
	for _, f := range fs {
		if f.Suppressed != nil {
			continue
		}
		sev := f.Severity.String()
		bySev[sev]++
		id := f.RuleID
		if !m.rules[id] {
			id = "other"
		}
		byRule[[2]string{id, sev}]++
		ns := f.Resource.Namespace
		if !labelled[ns] {
			ns = "other"
		}
		byNS[[2]string{ns, sev}]++
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range finding.Severities {
		m.findings.WithLabelValues(s.String()).Set(float64(bySev[s.String()]))
	}
	m.ruleSeen = setVec(m.byRule, byRule, m.ruleSeen)
	m.nsSeen = setVec(m.byNamespace, byNS, m.nsSeen)
}

// setVec sets each label pair's value and deletes the pairs of seen not set now.
func setVec(v *prometheus.GaugeVec, now map[[2]string]int, seen map[[2]string]bool) map[[2]string]bool {
	next := make(map[[2]string]bool, len(now))
	for k, n := range now {
		v.WithLabelValues(k[0], k[1]).Set(float64(n))
		next[k] = true
	}
	for k := range seen {
		if !next[k] {
			v.DeleteLabelValues(k[0], k[1])
		}
	}
	return next
}

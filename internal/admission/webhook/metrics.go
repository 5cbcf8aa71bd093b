package webhook

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/moat-dev/moat/internal/admission"
	"github.com/moat-dev/moat/internal/rule"
)

// metrics have stable names: dashboards and alerts depend on them. Every label value
// comes from a fixed set known when the server starts, never from the request as it
// is: a request's kind is whatever its sender wrote, and a label per distinct value
// let 40 requests with 5 MB kinds grow /metrics to 200 MB.
type metrics struct {
	requests  *prometheus.CounterVec
	decisions *prometheus.CounterVec
	findings  *prometheus.CounterVec
	errors    *prometheus.CounterVec
	shed      prometheus.Counter
	conns     prometheus.Counter
	ignore    *prometheus.CounterVec
	latency   prometheus.Histogram

	kinds map[string]bool // label values of kind
	rules map[string]bool // label values of rule

	// findingCounters are the counters of findings already seen, by findingKey: a
	// review counts each of its findings, and finding a counter by its label values
	// hashes and validates them every time.
	findingCounters sync.Map
}

// findingKey names a counter of moat_admission_findings_total.
type findingKey struct {
	rule string
	mode admission.Mode
}

// countFinding adds one to the findings of a rule in a mode.
func (m *metrics) countFinding(rule string, mode admission.Mode) {
	k := findingKey{m.ruleLabel(rule), mode} // as bounded as the label values
	c, ok := m.findingCounters.Load(k)
	if !ok {
		c, _ = m.findingCounters.LoadOrStore(k, m.findings.WithLabelValues(k.rule, modeLabel(mode)))
	}
	c.(prometheus.Counter).Inc()
}

// other is the label value of anything outside a label's fixed set.
const other = "other"

// reviewedKinds are the kinds of the resources that the printed webhook configuration
// sends (manifests.ResourceRules); the kinds that rules look at are added to them.
var reviewedKinds = []string{
	"Pod", "ReplicationController", "PodTemplate", "Service", "ConfigMap", "Secret", "ServiceAccount", "Namespace",
	"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "Ingress",
	"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "Rollout", "DeploymentConfig",
}

func newMetrics(reg prometheus.Registerer, rules []*rule.Rule) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moat_admission_requests_total",
			Help: "AdmissionReview requests reviewed, by object kind (kinds Moat knows, else other) and operation (else other).",
		}, []string{"kind", "operation"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moat_admission_decisions_total", Help: "Admission decisions: allowed, denied, exempt or error.",
		}, []string{"decision"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moat_admission_findings_total", Help: "Findings at admission, by rule and by what admission did with them (enforce, warn, audit).",
		}, []string{"rule", "mode"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moat_admission_errors_total", Help: "Requests that could not be reviewed, by reason.",
		}, []string{"reason"}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "moat_admission_shed_total",
			Help: "Requests refused at once with code 429 because the most reviews allowed at a time (--max-concurrent) were in flight.",
		}),
		conns: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "moat_admission_connections_total",
			Help: "Connections accepted, each with a TLS handshake. Clients that keep connections alive, as the API server does, open few; one per request costs a handshake each.",
		}),
		ignore: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moat_admission_ignore_annotations_total",
			Help: "Objects under review that carried a moat.dev/ignore annotation, by what admission did with it (honoured, refused).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "moat_admission_review_duration_seconds",
			Help:    "Time from receiving a request to having its decision.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		kinds: map[string]bool{},
		rules: map[string]bool{},
	}
	for _, k := range reviewedKinds {
		m.kinds[k] = true
	}
	for _, r := range rules {
		m.rules[r.ID] = true
		for _, k := range r.Kinds {
			if k != "*" {
				m.kinds[k] = true
			}
		}
	}
	reg.MustRegister(m.requests, m.decisions, m.findings, m.errors, m.shed, m.conns, m.ignore, m.latency)
	return m
}

// kindLabel is the request's kind if Moat knows it, else "other".
func (m *metrics) kindLabel(kind string) string {
	if m.kinds[kind] {
		return kind
	}
	return other
}

// operationLabel is one of the four admission operations, else "other".
func operationLabel(op admissionv1.Operation) string {
	switch op {
	case admissionv1.Create, admissionv1.Update, admissionv1.Delete, admissionv1.Connect:
		return string(op)
	}
	return other
}

// ruleLabel is a registered rule's ID, else "other".
func (m *metrics) ruleLabel(id string) string {
	if m.rules[id] {
		return id
	}
	return other
}

// modeLabel is the name of one of the three modes, else "other".
func modeLabel(mode admission.Mode) string {
	switch mode {
	case admission.Enforce, admission.Warn, admission.Audit:
		return mode.String()
	}
	return other
}

// ignoreLabel is what became of an ignore annotation, else "other".
func ignoreLabel(outcome string) string {
	switch outcome {
	case admission.IgnoreHonoured, admission.IgnoreRefused:
		return outcome
	}
	return other
}

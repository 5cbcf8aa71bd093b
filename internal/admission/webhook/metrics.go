package webhook

import "github.com/prometheus/client_golang/prometheus"

// metrics have stable names: dashboards and alerts depend on them.
type metrics struct {
	requests  *prometheus.CounterVec
	decisions *prometheus.CounterVec
	findings  *prometheus.CounterVec
	errors    *prometheus.CounterVec
	latency   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moat_admission_requests_total", Help: "AdmissionReview requests reviewed, by object kind and operation.",
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
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "moat_admission_review_duration_seconds",
			Help:    "Time from receiving a request to having its decision.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	reg.MustRegister(m.requests, m.decisions, m.findings, m.errors, m.latency)
	return m
}

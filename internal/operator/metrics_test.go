package operator

import (
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	_ "github.com/moat-dev/moat/internal/catalog"
	"github.com/moat-dev/moat/internal/finding"
)

func findingIn(ns, rule string, sev finding.Severity) finding.Finding {
	return finding.Finding{RuleID: rule, Severity: sev, Resource: finding.Resource{Kind: "Pod", Namespace: ns, Name: "p"}}
}

// series returns the metric's label values joined, with the value, sorted.
func series(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			key := ""
			for _, l := range labels {
				key += l + " "
			}
			out[key] = value(m)
		}
	}
	return out
}

func value(m *dto.Metric) float64 {
	if g := m.GetGauge(); g != nil {
		return g.GetValue()
	}
	return m.GetCounter().GetValue()
}

func TestMetricsLabelsStayBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg, 2)
	fs := []finding.Finding{
		findingIn("a", "pod/privileged-container", finding.Critical),
		findingIn("b", "pod/privileged-container", finding.Critical),
		findingIn("c", "pod/privileged-container", finding.Critical),
		findingIn("d", "made/up-rule", finding.High),
	}
	suppressed := findingIn("a", "pod/privileged-container", finding.Critical)
	suppressed.Suppressed = &finding.Suppression{Reason: "accepted"}
	fs = append(fs, suppressed)
	m.observe(fs, 10, "full", time.Second)

	if got, want := series(t, reg, "moat_findings_by_namespace"), map[string]float64{
		"namespace=a severity=critical ":     1,
		"namespace=b severity=critical ":     1,
		"namespace=other severity=critical ": 1,
		"namespace=other severity=high ":     1,
	}; !equal(got, want) {
		t.Errorf("by namespace: %v, want %v", got, want)
	}
	if got, want := series(t, reg, "moat_findings_by_rule"), map[string]float64{
		"rule=pod/privileged-container severity=critical ": 3,
		"rule=other severity=high ":                        1,
	}; !equal(got, want) {
		t.Errorf("by rule: %v, want %v", got, want)
	}
	if got := series(t, reg, "moat_findings")["severity=critical "]; got != 3 {
		t.Errorf("critical findings %v, want 3 (the suppressed one left out)", got)
	}

	// A namespace whose findings are gone leaves the metric.
	m.observe(fs[:1], 10, "incremental", time.Second)
	if got, want := series(t, reg, "moat_findings_by_namespace"), map[string]float64{"namespace=a severity=critical ": 1}; !equal(got, want) {
		t.Errorf("after the findings went: %v, want %v", got, want)
	}
}

func equal(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

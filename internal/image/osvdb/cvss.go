package osvdb

// CVSS 3.x base scores, computed from the vector with the formulas of FIRST's
// "CVSS v3.1 Specification Document", section 7.1 (base metrics) and Appendix A
// (Roundup). The base formulas of 3.0 and 3.1 are the same; 3.1 only made Roundup
// exact in floating point, which is what is used for both here.

import (
	"fmt"
	"math"
	"strings"
)

// baseMetricWeights are the numeric values of the base metrics (specification
// section 7.4). Privileges Required is absent: its value depends on Scope.
var baseMetricWeights = map[string]map[string]float64{
	"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
	"AC": {"L": 0.77, "H": 0.44},
	"UI": {"N": 0.85, "R": 0.62},
	"C":  {"H": 0.56, "L": 0.22, "N": 0},
	"I":  {"H": 0.56, "L": 0.22, "N": 0},
	"A":  {"H": 0.56, "L": 0.22, "N": 0},
}

// privilegesRequired is PR's weight for unchanged (U) and changed (C) scope.
var privilegesRequired = map[string]map[byte]float64{
	"N": {'U': 0.85, 'C': 0.85},
	"L": {'U': 0.62, 'C': 0.68},
	"H": {'U': 0.27, 'C': 0.5},
}

// otherMetrics are the temporal and environmental metrics a vector may carry after
// the base ones; they do not change the base score and are only checked by name.
var otherMetrics = map[string]bool{
	"E": true, "RL": true, "RC": true, "CR": true, "IR": true, "AR": true,
	"MAV": true, "MAC": true, "MPR": true, "MUI": true, "MS": true, "MC": true, "MI": true, "MA": true,
}

// CVSS3BaseScore returns the base score of a CVSS 3.0 or 3.1 vector such as
// "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H". Every base metric must be present
// exactly once with a defined value.
func CVSS3BaseScore(vector string) (float64, error) {
	metrics, err := parseCVSS3(vector)
	if err != nil {
		return 0, fmt.Errorf("CVSS vector %q: %w", vector, err)
	}
	scope := metrics["S"][0]
	iss := 1 - (1-weight(metrics, "C"))*(1-weight(metrics, "I"))*(1-weight(metrics, "A"))
	var impact float64
	if scope == 'U' {
		impact = 6.42 * iss
	} else {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	}
	exploitability := 8.22 * weight(metrics, "AV") * weight(metrics, "AC") *
		privilegesRequired[metrics["PR"]][scope] * weight(metrics, "UI")
	if impact <= 0 {
		return 0, nil
	}
	if scope == 'U' {
		return roundUp(math.Min(impact+exploitability, 10)), nil
	}
	return roundUp(math.Min(1.08*(impact+exploitability), 10)), nil
}

func weight(metrics map[string]string, name string) float64 {
	return baseMetricWeights[name][metrics[name]]
}

// parseCVSS3 splits a vector into its metrics and checks the base ones.
func parseCVSS3(vector string) (map[string]string, error) {
	prefix, rest, ok := strings.Cut(vector, "/")
	if !ok || (prefix != "CVSS:3.0" && prefix != "CVSS:3.1") {
		return nil, fmt.Errorf("want prefix CVSS:3.0/ or CVSS:3.1/")
	}
	metrics := map[string]string{}
	for _, part := range strings.Split(rest, "/") {
		name, value, ok := strings.Cut(part, ":")
		if !ok || value == "" {
			return nil, fmt.Errorf("metric %q: want NAME:VALUE", part)
		}
		if _, dup := metrics[name]; dup {
			return nil, fmt.Errorf("metric %s given twice", name)
		}
		if !isBaseMetric(name) && !otherMetrics[name] {
			return nil, fmt.Errorf("unknown metric %s", name)
		}
		metrics[name] = value
	}
	for _, name := range []string{"AV", "AC", "PR", "UI", "S", "C", "I", "A"} {
		value, ok := metrics[name]
		if !ok {
			return nil, fmt.Errorf("base metric %s missing", name)
		}
		if !validBaseValue(name, value) {
			return nil, fmt.Errorf("base metric %s: unknown value %q", name, value)
		}
	}
	return metrics, nil
}

func isBaseMetric(name string) bool {
	_, ok := baseMetricWeights[name]
	return ok || name == "PR" || name == "S"
}

func validBaseValue(name, value string) bool {
	switch name {
	case "PR":
		_, ok := privilegesRequired[value]
		return ok
	case "S":
		return value == "U" || value == "C"
	}
	_, ok := baseMetricWeights[name][value]
	return ok
}

// roundUp is the specification's Roundup (Appendix A): the smallest number with one
// decimal place that is equal to or higher than its input, computed on integers so
// that 4.000000000000001 does not become 4.1.
func roundUp(x float64) float64 {
	i := int64(math.Round(x * 100000))
	if i%10000 == 0 {
		return float64(i) / 100000
	}
	return float64(i/10000+1) / 10
}

// SeverityOfScore is the qualitative rating of a CVSS 3.x score (specification
// section 5): none, low, medium, high or critical.
func SeverityOfScore(score float64) string {
	switch {
	case score >= 9:
		return "critical"
	case score >= 7:
		return "high"
	case score >= 4:
		return "medium"
	case score > 0:
		return "low"
	}
	return "none"
}

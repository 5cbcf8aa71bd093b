package osvdb

import (
	"strings"
	"testing"
)

// The expected scores were worked out by hand from the formulas of the CVSS v3.1
// specification (section 7.1, Roundup of Appendix A), checked with a separate
// implementation of them, and agree with the scores NVD publishes for these vectors.
// The comment on each gives Impact and Exploitability before the sum and Roundup.
var cvssCases = []struct {
	name, vector string
	score        float64
	severity     string
}{
	// Impact 6.42×(1−0.44³)=5.8731, Exploitability 8.22×0.85×0.77×0.85×0.85=3.8870: 9.7601 → 9.8.
	{"network, no privileges, all high", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical"},
	// Impact 7.52×(0.914816−0.029)−3.25×0.894816^15=6.0477; 1.08×(6.0477+3.8870)=10.73, capped: 10.0.
	{"scope changed, all high", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "critical"},
	// Impact 6.42×0.56=3.5952, Exploitability 8.22×0.55×0.77×0.62×0.85=1.8346: 5.4298 → 5.5.
	{"local, low privileges, confidentiality only", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5, "medium"},
	// PR:L is 0.68 when scope changes. Impact 2.7268, Exploitability 2.8353: 1.08×5.5621=6.007 → 6.1.
	{"reflected XSS shape, version 3.0", "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "medium"},
	// Impact 3.5952, Exploitability 3.8870: 7.4822 → 7.5.
	{"denial of service", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "high"},
	// Impact 3.5952, Exploitability 8.22×0.85×0.44×0.85×0.85=2.2212: 5.8164 → 5.9.
	{"high attack complexity", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9, "medium"},
	// Impact 6.0477, Exploitability 8.22×0.85×0.77×0.5×0.85=2.2865 (PR:H is 0.5 when scope changes): 1.08×8.3342=9.0009 → 9.1.
	{"high privileges, scope changed", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 9.1, "critical"},
	// Impact 5.8731, Exploitability 8.22×0.55×0.44×0.62×0.85=1.0483: 6.9214 → 7.0.
	{"local race", "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.0, "high"},
	// Impact 6.42×0.22=1.4124, Exploitability 8.22×0.2×0.44×0.27×0.62=0.1211: 1.5335 → 1.6.
	{"physical, everything hard", "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, "low"},
	// No impact: 0, whatever the exploitability.
	{"no impact", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0, "none"},
	// Metrics in another order, temporal metrics after: same base score.
	{"metrics reordered with temporal ones", "CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N/E:U/RL:O/RC:R", 9.8, "critical"},
}

func TestCVSS3BaseScore(t *testing.T) {
	for _, tc := range cvssCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CVSS3BaseScore(tc.vector)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.score {
				t.Errorf("CVSS3BaseScore(%s) = %v, want %v", tc.vector, got, tc.score)
			}
			if sev := SeverityOfScore(got); sev != tc.severity {
				t.Errorf("SeverityOfScore(%v) = %q, want %q", got, sev, tc.severity)
			}
		})
	}
}

func TestCVSS3BaseScoreRejectsBadVectors(t *testing.T) {
	cases := []struct{ name, vector, want string }{
		{"version 2", "AV:N/AC:L/Au:N/C:P/I:P/A:P", "want prefix CVSS:3.0/ or CVSS:3.1/"},
		{"version 4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "want prefix"},
		{"missing metric", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "base metric A missing"},
		{"unknown value", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", `base metric AV: unknown value "X"`},
		{"metric twice", "CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "metric AV given twice"},
		{"unknown metric", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1", "unknown metric ZZ"},
		{"empty value", "CVSS:3.1/AV:/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", `metric "AV:": want NAME:VALUE`},
		{"no metrics", "CVSS:3.1", "want prefix"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CVSS3BaseScore(tc.vector)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CVSS3BaseScore(%q) error = %v, want it to contain %q", tc.vector, err, tc.want)
			}
		})
	}
}

func TestRoundUp(t *testing.T) {
	cases := []struct{ in, want float64 }{
		{4.0, 4.0},
		{4.000000000000001, 4.0}, // floating-point noise is not a tenth (Appendix A)
		{4.02, 4.1},
		{9.7601, 9.8},
		{0, 0},
	}
	for _, tc := range cases {
		if got := roundUp(tc.in); got != tc.want {
			t.Errorf("roundUp(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func FuzzCVSS3BaseScore(f *testing.F) {
	for _, tc := range cvssCases {
		f.Add(tc.vector)
	}
	f.Fuzz(func(t *testing.T, vector string) {
		score, err := CVSS3BaseScore(vector)
		if err == nil && (score < 0 || score > 10) {
			t.Errorf("CVSS3BaseScore(%q) = %v, outside 0..10", vector, score)
		}
	})
}

package scan

import (
	"testing"
	"time"

	"github.com/moat-dev/moat/internal/exceptions"
	"github.com/moat-dev/moat/internal/finding"
)

func imageFinding(name string, sev finding.Severity) finding.Finding {
	return finding.Finding{RuleID: "image/vulnerability", Severity: sev, Message: "openssl is affected",
		Resource: finding.Resource{APIVersion: "image.moat.dev/v1alpha1", Kind: "Image", Name: name}}
}

// TestAddFindingsAppliesExceptionsAndFilter: findings made outside the evaluation get
// the config's exceptions and the filter, and the summary counts them.
func TestAddFindingsAppliesExceptionsAndFilter(t *testing.T) {
	cfg, err := exceptions.Parse([]byte(`exceptions:
- rules: [image/vulnerability]
  kinds: [Image]
  names: [registry.example/legacy:1]
  reason: replaced next sprint
`), ".moat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		opt        Options
		findings   int
		suppressed int
		errors     int
	}{
		{"exceptions hide, the summary counts", Options{Config: cfg}, 2, 1, 1},
		{"shown when asked", Options{Config: cfg, ShowSuppressed: true}, 2, 1, 1},
		{"the severity filter drops", Options{Config: cfg, Filter: Filter{MinSeverity: finding.Critical}}, 1, 1, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Now = func() time.Time { return time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) }
			e := NewEvaluator(tt.opt)
			r := &Result{}
			r.Findings = []finding.Finding{{RuleID: "pod/privileged-container", Severity: finding.Critical,
				Resource: finding.Resource{Kind: "Pod", Namespace: "shop", Name: "p"}}}
			r.Summary = finding.Summarize(3, r.Findings, 0)
			e.AddFindings(r, []finding.Finding{
				imageFinding("registry.example/api:2", finding.High),
				imageFinding("registry.example/legacy:1", finding.Critical),
			}, []string{"image registry.example/gone:1: not found"})
			if r.Summary.Findings != tt.findings || r.Summary.Suppressed != tt.suppressed || r.Summary.Errors != tt.errors || r.Summary.Objects != 3 {
				t.Errorf("summary %+v, want %d findings, %d suppressed, %d errors, 3 objects", r.Summary, tt.findings, tt.suppressed, tt.errors)
			}
			shown := 0
			for _, f := range r.Findings {
				if f.Suppressed != nil {
					shown++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tt.opt.ShowSuppressed]; shown != want {
				t.Errorf("%d suppressed findings listed, want %d", shown, want)
			}
			if got := r.ExitCode(finding.High); got != ExitError {
				t.Errorf("exit %d, want %d (an image could not be read)", got, ExitError)
			}
		})
	}
}

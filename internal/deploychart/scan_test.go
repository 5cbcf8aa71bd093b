package deploychart

import (
	"context"
	"testing"
	"time"

	_ "github.com/moat-dev/moat/internal/catalog" // every rule
	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/scan"
)

// TestScanFindsNothingAboveInfo runs what `moat scan deploy/charts/moat -f VALUES` runs,
// in this process: with the chart's defaults and with every component enabled, Moat
// reports nothing above info on its own chart (accepted findings carry their reason in
// an ignore annotation, and count as suppressed).
func TestScanFindsNothingAboveInfo(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ev := scan.NewEvaluator(scan.Options{Now: func() time.Time { return now }})
	for _, vs := range valueSets {
		if !vs.scanClean {
			continue
		}
		t.Run(vs.name, func(t *testing.T) {
			in := scan.Input{Paths: []string{chartDir(t)}}
			if vs.values != "" {
				in.HelmValues = []string{vs.file(t)}
			}
			loaded, err := scan.Load(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(loaded.Objects); n < len(vs.want) {
				t.Fatalf("the scan read %d objects; the release has %d", n, len(vs.want))
			}
			res := ev.Evaluate(context.Background(), loaded.Inventory)
			for _, e := range res.Errors {
				t.Errorf("error: %s", e)
			}
			for _, f := range res.Findings {
				if f.Suppressed == nil && f.Severity > finding.Info {
					t.Errorf("%s %s: [%s %s] %s (%s)", f.Source, f.Resource, f.Severity, f.RuleID, f.Message, f.Path)
				}
			}
			if code := res.ExitCode(finding.Low); code != scan.ExitOK {
				t.Errorf("moat scan --fail-on low would exit %d", code)
			}
		})
	}
}

// TestScanSeesWhatTheChartTurnsOff checks that the scan above would see a weakened
// chart: without network policies, Moat reports the namespace (so a clean scan means
// something).
func TestScanSeesWhatTheChartTurnsOff(t *testing.T) {
	vs := valueSet{name: "no network policies", values: "networkPolicy: {enabled: false}\n"}
	loaded, err := scan.Load(context.Background(), scan.Input{Paths: []string{chartDir(t)}, HelmValues: []string{vs.file(t)}})
	if err != nil {
		t.Fatal(err)
	}
	res := scan.NewEvaluator(scan.Options{}).Evaluate(context.Background(), loaded.Inventory)
	found := map[string]bool{}
	for _, f := range res.Findings {
		found[f.RuleID] = true
	}
	for _, id := range []string{"netpol/namespace-without-policy", "netpol/workload-not-isolated-ingress"} {
		if !found[id] {
			t.Errorf("no %s finding without network policies; found %v", id, found)
		}
	}
}

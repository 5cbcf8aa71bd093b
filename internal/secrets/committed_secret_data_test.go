package secrets

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/moat-dev/moat/internal/finding"
	"github.com/moat-dev/moat/internal/golden"
	"github.com/moat-dev/moat/internal/rule"
	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestCommittedSecretData(t *testing.T) { ruletest.Fixtures(t, "secret/committed-secret-data") }

// TestValuesAChartGeneratesAreNotCommitted scans a chart whose Secrets are filled by
// randAlphaNum, randBytes, uuidv4, genCA and genPrivateKey when it renders: none of
// them is reported, while the one value the chart takes from values.yaml is.
func TestValuesAChartGeneratesAreNotCommitted(t *testing.T) {
	dir := filepath.Join("testdata", ruletest.Dir("secret/committed-secret-data"), "charts", "install-time")
	got := ruletest.Run(t, rule.Get("secret/committed-secret-data"), dir)
	for _, f := range got {
		if f.Resource.Name != "install-time-mail" {
			t.Errorf("a generated Secret is reported as committed: %s", ruletest.Format([]finding.Finding{f}))
		}
	}
	golden.Check(t, strings.TrimSuffix(dir, "/")+".golden", []byte(ruletest.Format(got)))
}

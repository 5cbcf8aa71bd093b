package netpol

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestWorkloadNotIsolatedIngress(t *testing.T) {
	ruletest.Fixtures(t, "netpol/workload-not-isolated-ingress")
}

package netpol

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestPolicySelectsNothing(t *testing.T) {
	ruletest.Fixtures(t, "netpol/policy-selects-nothing")
}

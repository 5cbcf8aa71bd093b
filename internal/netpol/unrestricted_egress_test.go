package netpol

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestUnrestrictedEgress(t *testing.T) {
	ruletest.Fixtures(t, "netpol/unrestricted-egress")
}

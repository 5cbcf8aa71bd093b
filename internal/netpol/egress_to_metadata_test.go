package netpol

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestEgressToMetadata(t *testing.T) {
	ruletest.Fixtures(t, "netpol/egress-to-metadata")
}

package netpol

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestPeerMatchesNothing(t *testing.T) {
	ruletest.Fixtures(t, "netpol/peer-matches-nothing")
}

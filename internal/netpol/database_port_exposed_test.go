package netpol

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestDatabasePortExposed(t *testing.T) {
	ruletest.Fixtures(t, "netpol/database-port-exposed")
}

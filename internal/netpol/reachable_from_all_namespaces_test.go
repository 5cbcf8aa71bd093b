package netpol

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestReachableFromAllNamespaces(t *testing.T) {
	ruletest.Fixtures(t, "netpol/reachable-from-all-namespaces")
}

package netpol

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestNamespaceWithoutDefaultDeny(t *testing.T) {
	ruletest.Fixtures(t, "netpol/namespace-without-default-deny")
}

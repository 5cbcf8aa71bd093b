package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestUnrestrictedCapabilities(t *testing.T) {
	ruletest.Fixtures(t, "pod/unrestricted-capabilities")
}

package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestPrivilegeEscalationAllowed(t *testing.T) {
	ruletest.Fixtures(t, "pod/privilege-escalation-allowed")
}

package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestModifyNetworkPolicies(t *testing.T) { ruletest.Fixtures(t, "rbac/modify-networkpolicies") }

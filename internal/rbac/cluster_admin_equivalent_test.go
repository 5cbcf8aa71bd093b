package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestClusterAdminEquivalent(t *testing.T) { ruletest.Fixtures(t, "rbac/cluster-admin-equivalent") }

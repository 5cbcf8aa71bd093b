package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestNodesProxy(t *testing.T) { ruletest.Fixtures(t, "rbac/nodes-proxy") }

package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestModifyNodes(t *testing.T) { ruletest.Fixtures(t, "rbac/modify-nodes") }

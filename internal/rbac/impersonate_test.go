package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestImpersonate(t *testing.T) { ruletest.Fixtures(t, "rbac/impersonate") }

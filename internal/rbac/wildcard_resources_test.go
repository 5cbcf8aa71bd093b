package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestWildcardResources(t *testing.T) { ruletest.Fixtures(t, "rbac/wildcard-resources") }

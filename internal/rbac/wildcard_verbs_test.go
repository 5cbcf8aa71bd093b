package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestWildcardVerbs(t *testing.T) { ruletest.Fixtures(t, "rbac/wildcard-verbs") }

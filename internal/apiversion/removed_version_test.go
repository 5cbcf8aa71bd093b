package apiversion

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestRemovedVersion(t *testing.T) { ruletest.Fixtures(t, "api/removed-version") }

package apiversion

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestDeprecatedVersion(t *testing.T) { ruletest.Fixtures(t, "api/deprecated-version") }

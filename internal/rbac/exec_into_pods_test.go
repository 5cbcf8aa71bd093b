package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestExecIntoPods(t *testing.T) { ruletest.Fixtures(t, "rbac/exec-into-pods") }

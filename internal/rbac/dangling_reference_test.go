package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestDanglingReference(t *testing.T) { ruletest.Fixtures(t, "rbac/dangling-reference") }

package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestModifyServiceStatus(t *testing.T) { ruletest.Fixtures(t, "rbac/modify-service-status") }

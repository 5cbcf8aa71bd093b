package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestModifyAdmission(t *testing.T) { ruletest.Fixtures(t, "rbac/modify-admission-webhooks") }

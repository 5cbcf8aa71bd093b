package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestDefaultServiceAccountBound(t *testing.T) {
	ruletest.Fixtures(t, "rbac/default-service-account-bound")
}

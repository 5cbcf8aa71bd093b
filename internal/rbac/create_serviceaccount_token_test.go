package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestCreateServiceAccountToken(t *testing.T) {
	ruletest.Fixtures(t, "rbac/create-serviceaccount-token")
}

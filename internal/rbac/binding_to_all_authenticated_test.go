package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestBindingToAllAuthenticated(t *testing.T) {
	ruletest.Fixtures(t, "rbac/binding-to-all-authenticated")
}

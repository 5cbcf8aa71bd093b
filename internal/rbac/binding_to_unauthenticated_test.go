package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestBindingToUnauthenticated(t *testing.T) {
	ruletest.Fixtures(t, "rbac/binding-to-unauthenticated")
}

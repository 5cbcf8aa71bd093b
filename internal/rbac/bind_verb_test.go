package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestBindVerb(t *testing.T) { ruletest.Fixtures(t, "rbac/bind-verb") }

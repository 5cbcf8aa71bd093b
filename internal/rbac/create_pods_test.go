package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestCreatePods(t *testing.T) { ruletest.Fixtures(t, "rbac/create-pods") }

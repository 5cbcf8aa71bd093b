package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestModifyCRDs(t *testing.T) { ruletest.Fixtures(t, "rbac/modify-crds") }

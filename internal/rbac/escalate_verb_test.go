package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestEscalateVerb(t *testing.T) { ruletest.Fixtures(t, "rbac/escalate-verb") }

package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestDeleteEvents(t *testing.T) { ruletest.Fixtures(t, "rbac/delete-events") }

package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestWriteEndpoints(t *testing.T) { ruletest.Fixtures(t, "rbac/write-endpoints") }

package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestApproveCSR(t *testing.T) { ruletest.Fixtures(t, "rbac/approve-csr") }

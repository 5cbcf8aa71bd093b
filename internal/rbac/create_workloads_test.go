package rbac

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestCreateWorkloads(t *testing.T) { ruletest.Fixtures(t, "rbac/create-workloads") }

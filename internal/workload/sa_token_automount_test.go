package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestSATokenAutomount(t *testing.T) { ruletest.Fixtures(t, "sa/token-automount") }

package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestCPULimitsMissing(t *testing.T) { ruletest.Fixtures(t, "pod/cpu-limits-missing") }

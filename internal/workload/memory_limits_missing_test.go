package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestMemoryLimitsMissing(t *testing.T) { ruletest.Fixtures(t, "pod/memory-limits-missing") }

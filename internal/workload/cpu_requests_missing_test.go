package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestCPURequestsMissing(t *testing.T) { ruletest.Fixtures(t, "pod/cpu-requests-missing") }

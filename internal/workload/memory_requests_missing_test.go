package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestMemoryRequestsMissing(t *testing.T) { ruletest.Fixtures(t, "pod/memory-requests-missing") }

package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestLivenessProbeMissing(t *testing.T) { ruletest.Fixtures(t, "pod/liveness-probe-missing") }

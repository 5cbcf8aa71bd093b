package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestReadinessProbeMissing(t *testing.T) { ruletest.Fixtures(t, "pod/readiness-probe-missing") }

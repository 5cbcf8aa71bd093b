package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestRootGroup(t *testing.T) { ruletest.Fixtures(t, "pod/root-group") }

package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestSensitiveHostPath(t *testing.T) { ruletest.Fixtures(t, "pod/sensitive-host-path") }

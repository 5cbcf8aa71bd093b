package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestDefaultServiceAccount(t *testing.T) { ruletest.Fixtures(t, "pod/default-service-account") }

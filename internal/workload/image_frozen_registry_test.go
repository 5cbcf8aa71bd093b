package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestImageFrozenRegistry(t *testing.T) { ruletest.Fixtures(t, "image/frozen-registry") }

package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestImageLatestTag(t *testing.T) { ruletest.Fixtures(t, "image/latest-tag") }

package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestImageNotPinnedByDigest(t *testing.T) { ruletest.Fixtures(t, "image/not-pinned-by-digest") }

package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestImagePullPolicyNotAlways(t *testing.T) { ruletest.Fixtures(t, "image/pull-policy-not-always") }

package exposure

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestLoadBalancerOpen(t *testing.T) { ruletest.Fixtures(t, "svc/load-balancer-open") }

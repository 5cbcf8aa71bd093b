package exposure

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestExternalIPs(t *testing.T) { ruletest.Fixtures(t, "svc/external-ips") }

package exposure

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestNodePort(t *testing.T) { ruletest.Fixtures(t, "svc/node-port") }

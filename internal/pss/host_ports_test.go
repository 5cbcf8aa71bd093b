package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestHostPorts(t *testing.T) { ruletest.Fixtures(t, "pod/host-ports") }

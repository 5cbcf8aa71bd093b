package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestProbeOrLifecycleHost(t *testing.T) { ruletest.Fixtures(t, "pod/probe-or-lifecycle-host") }

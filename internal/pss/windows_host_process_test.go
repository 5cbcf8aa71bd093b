package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestWindowsHostProcess(t *testing.T) { ruletest.Fixtures(t, "pod/windows-host-process") }

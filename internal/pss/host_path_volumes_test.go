package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestHostPathVolumes(t *testing.T) { ruletest.Fixtures(t, "pod/host-path-volumes") }

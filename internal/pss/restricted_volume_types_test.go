package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestRestrictedVolumeTypes(t *testing.T) { ruletest.Fixtures(t, "pod/restricted-volume-types") }

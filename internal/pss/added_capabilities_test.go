package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestAddedCapabilities(t *testing.T) { ruletest.Fixtures(t, "pod/added-capabilities") }

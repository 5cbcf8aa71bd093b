package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestRunAsNonRoot(t *testing.T) { ruletest.Fixtures(t, "pod/run-as-non-root") }

package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestRunAsRootUser(t *testing.T) { ruletest.Fixtures(t, "pod/run-as-root-user") }

package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestPrivilegedContainer(t *testing.T) { ruletest.Fixtures(t, "pod/privileged-container") }

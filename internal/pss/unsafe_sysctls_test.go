package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestUnsafeSysctls(t *testing.T) { ruletest.Fixtures(t, "pod/unsafe-sysctls") }

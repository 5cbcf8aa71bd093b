package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestForbiddenSelinuxOptions(t *testing.T) { ruletest.Fixtures(t, "pod/forbidden-selinux-options") }

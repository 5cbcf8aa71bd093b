package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestUnmaskedProcMountUserNamespace(t *testing.T) {
	ruletest.Fixtures(t, "pod/unmasked-proc-mount-user-namespace")
}

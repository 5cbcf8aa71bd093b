package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestSeccompProfileUnconfined(t *testing.T) {
	ruletest.Fixtures(t, "pod/seccomp-profile-unconfined")
}

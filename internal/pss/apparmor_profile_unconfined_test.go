package pss

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestApparmorProfileUnconfined(t *testing.T) {
	ruletest.Fixtures(t, "pod/apparmor-profile-unconfined")
}

package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestServiceAccountTokenAutomount(t *testing.T) {
	ruletest.Fixtures(t, "pod/service-account-token-automount")
}

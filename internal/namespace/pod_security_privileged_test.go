package namespace

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestPodSecurityPrivileged(t *testing.T) {
	ruletest.Fixtures(t, "namespace/pod-security-privileged")
}

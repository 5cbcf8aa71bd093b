package namespace

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestPodSecurityLabelsMissing(t *testing.T) {
	ruletest.Fixtures(t, "namespace/pod-security-labels-missing")
}

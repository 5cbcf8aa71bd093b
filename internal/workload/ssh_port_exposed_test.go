package workload

import (
	"testing"

	"github.com/moat-dev/moat/internal/rule/ruletest"
)

func TestSSHPortExposed(t *testing.T) { ruletest.Fixtures(t, "pod/ssh-port-exposed") }
